"""A Secret Service that never answers: owns `org.freedesktop.secrets` on
the session bus in DBUS_SESSION_BUS_ADDRESS and drops every method call it
receives, so a client waits until its own timeout. Prints "ready" once it
owns the name; exits when the bus goes away.

Runs on Debian's python3-gi (Gio): /usr/bin/python3 silent_secret_service.py
"""
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

NAME = "org.freedesktop.secrets"
DO_NOT_QUEUE = 4
PRIMARY_OWNER = 1


def drop_calls(_connection, message, incoming):
    """Swallows incoming method calls before GDBus could answer them (it
    would say UnknownMethod); everything else passes."""
    if incoming and message.get_message_type() == Gio.DBusMessageType.METHOD_CALL:
        return None
    return message


def main():
    # The shared session connection exits this process when the bus closes.
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    bus.add_filter(drop_calls)
    (result,) = bus.call_sync(
        "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName",
        GLib.Variant("(su)", (NAME, DO_NOT_QUEUE)), GLib.VariantType("(u)"),
        Gio.DBusCallFlags.NONE, 10_000, None,
    ).unpack()
    if result != PRIMARY_OWNER:
        sys.exit(f"could not own {NAME} (RequestName answered {result})")
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
