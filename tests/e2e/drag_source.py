"""A tiny GTK window that offers files for drag and drop, the way a file
manager does (text/uri-list over XDND). The end-to-end tests drag from it
onto the app with xdotool. Runs with the system Python (python3-gi):

    /usr/bin/python3 drag_source.py X Y FILE...
"""
import sys
from pathlib import Path

import gi

gi.require_version("Gdk", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, Gtk  # noqa: E402

x, y = int(sys.argv[1]), int(sys.argv[2])
uris = [Path(p).resolve().as_uri() for p in sys.argv[3:]]

window = Gtk.Window(title="matterbox-drag-source")
window.set_default_size(160, 90)
window.move(x, y)
source = Gtk.Button(label=f"{len(uris)} files")
source.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
source.drag_source_add_uri_targets()
source.connect("drag-data-get", lambda _w, _ctx, data, _info, _time: data.set_uris(uris))
# Quit once the drop has finished, so the test knows the files were taken.
source.connect("drag-end", lambda *_: Gtk.main_quit())
window.add(source)
window.connect("destroy", Gtk.main_quit)
window.show_all()
Gtk.main()
