#!/usr/bin/python3
"""counter.py: a GTK 3 app with known geometry and behaviour, for testing the GTK 3 recorder
(the GTK 3 twin of samples/src/bin/counter.rs). Run it with /usr/bin/python3 (Debian's gi).

An undecorated 400x200 window (surface and widget coordinates coincide) holds a GtkFixed
with, at fixed positions:
- the label "Clicked N times" at (20, 20);
- a 160x40 button "Click me" at (20, 60), which increments N;
- a 200 px wide text entry at (20, 120): GTK 3 gives its text area a child GdkWindow, so
  its events and exposes come in that window's coordinates;
- a 24x24 drawing area at (300, 20), a child GdkWindow too, that toggles between red and
  blue every 500 ms, so exactly that square is repainted on the timer.

Ctrl+Q quits. Options: --print-layout prints `layout NAME X Y WIDTH HEIGHT` (window
coordinates) for each widget once drawn, then `ready`; --still: the square does not blink;
--block-on-click MS: a click on the button blocks the main loop for MS ms (time.sleep in the
handler) and prints `blocked MS`; --paint-at-once: a click on the button paints the label at
once, outside the frame clock's cycle (`gdk_window_process_updates`, as older apps do);
--exit-after SECS quits by itself.
"""

import argparse
import sys
import time

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
from gi.repository import GLib, Gdk, Gtk  # noqa: E402

WINDOW_SIZE = (400, 200)
LABEL_AT = (20, 20)
BUTTON_AT = (20, 60)
BUTTON_SIZE = (160, 40)
ENTRY_AT = (20, 120)
ENTRY_WIDTH = 200
SQUARE_AT = (300, 20)
SQUARE_SIZE = 24
BLINK_MS = 500


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--print-layout", action="store_true")
    parser.add_argument("--still", action="store_true")
    parser.add_argument("--block-on-click", type=int, default=0, metavar="MS")
    parser.add_argument("--paint-at-once", action="store_true")
    parser.add_argument("--exit-after", type=float, default=0, metavar="SECS")
    options = parser.parse_args()

    window = Gtk.Window(title="counter-gtk3")
    window.set_decorated(False)
    window.set_default_size(*WINDOW_SIZE)
    window.connect("destroy", Gtk.main_quit)
    fixed = Gtk.Fixed()
    window.add(fixed)

    label = Gtk.Label(label="Clicked 0 times")
    fixed.put(label, *LABEL_AT)

    clicks = [0]
    button = Gtk.Button(label="Click me")
    button.set_size_request(*BUTTON_SIZE)
    fixed.put(button, *BUTTON_AT)

    def clicked(_button):
        clicks[0] += 1
        label.set_text("Clicked %d times" % clicks[0])
        if options.paint_at_once:
            label.queue_draw()
            window.get_window().process_updates(True)
        if options.block_on_click:
            time.sleep(options.block_on_click / 1000)
            print("blocked %d" % options.block_on_click, flush=True)

    button.connect("clicked", clicked)

    entry = Gtk.Entry()
    entry.set_size_request(ENTRY_WIDTH, -1)
    fixed.put(entry, *ENTRY_AT)

    red = [True]
    square = Gtk.DrawingArea()
    square.set_size_request(SQUARE_SIZE, SQUARE_SIZE)

    def draw(_widget, cr):
        if red[0]:
            cr.set_source_rgb(0.85, 0.1, 0.1)
        else:
            cr.set_source_rgb(0.1, 0.2, 0.85)
        cr.paint()
        return True

    square.connect("draw", draw)
    fixed.put(square, *SQUARE_AT)

    if not options.still:

        def blink():
            red[0] = not red[0]
            square.queue_draw()
            return True

        GLib.timeout_add(BLINK_MS, blink)

    accel = Gtk.AccelGroup()
    accel.connect(Gdk.KEY_q, Gdk.ModifierType.CONTROL_MASK, 0, lambda *a: Gtk.main_quit())
    window.add_accel_group(accel)

    if options.exit_after:
        GLib.timeout_add(int(options.exit_after * 1000), Gtk.main_quit)

    if options.print_layout:
        widgets = [("label", label), ("button", button), ("entry", entry), ("square", square)]
        ticks = [0]

        def tick(_widget, _clock):
            # The second tick comes after the first layout and paint: bounds are final.
            ticks[0] += 1
            if ticks[0] < 2:
                return GLib.SOURCE_CONTINUE
            for name, widget in widgets:
                x, y = widget.translate_coordinates(window, 0, 0)
                a = widget.get_allocation()
                print("layout %s %d %d %d %d" % (name, x, y, a.width, a.height))
            print("ready", flush=True)
            return GLib.SOURCE_REMOVE

        window.add_tick_callback(tick)

    window.show_all()
    Gtk.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
