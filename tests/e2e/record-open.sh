#!/bin/sh
# Stands in for the desktop's "open with" application in the end-to-end
# tests: keeps a copy of what it was asked to open and logs the path.
set -eu
cp "$1" "$MATTERBOX_OPENED_DIR/"
printf '%s\n' "$1" >> "$MATTERBOX_OPENED_DIR/opened.log"
