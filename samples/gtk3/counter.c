/* counter.c: the GTK 3 twin of samples/src/bin/counter.rs in C, for the recorder's GTK 3
 * benchmark (recorder/bench/run.sh, TOOLKIT=gtk3, compiles it with
 * `cc counter.c $(pkg-config --cflags --libs gtk+-3.0)`): the same code language class as
 * the GTK 4 sample, so the two recorders are measured in apps of the same weight.
 * samples/gtk3/counter.py is the same app in Python, for the GUI tests.
 *
 * An undecorated 400x200 window with, at fixed positions: the label "Clicked N times" at
 * (20, 20); a 160x40 button at (20, 60) that increments N; a 200 px wide entry at
 * (20, 120); a 24x24 drawing area at (300, 20) toggling red/blue every 500 ms. The window
 * asks for pointer motion events, which GTK 4 always delivers. Ctrl+Q quits.
 * --print-layout prints `layout NAME X Y W H` for each widget once drawn, then `ready`;
 * --still: the square does not blink. */
#include <gtk/gtk.h>
#include <stdio.h>
#include <string.h>

static GtkWidget *label, *button, *entry, *square, *window;
static int clicks;
static gboolean red = TRUE;

static void on_clicked(GtkButton *b, gpointer data) {
  char text[64];
  snprintf(text, sizeof text, "Clicked %d times", ++clicks);
  gtk_label_set_text(GTK_LABEL(label), text);
}

static gboolean on_draw(GtkWidget *w, cairo_t *cr, gpointer data) {
  if (red)
    cairo_set_source_rgb(cr, 0.85, 0.1, 0.1);
  else
    cairo_set_source_rgb(cr, 0.1, 0.2, 0.85);
  cairo_paint(cr);
  return TRUE;
}

static gboolean blink(gpointer data) {
  red = !red;
  gtk_widget_queue_draw(square);
  return G_SOURCE_CONTINUE;
}

static gboolean print_layout(GtkWidget *w, GdkFrameClock *clock, gpointer data) {
  static int ticks;
  /* The second tick comes after the first layout and paint: bounds are final. */
  if (++ticks < 2)
    return G_SOURCE_CONTINUE;
  struct { const char *name; GtkWidget **widget; } widgets[] = {
    {"label", &label}, {"button", &button}, {"entry", &entry}, {"square", &square}};
  for (size_t i = 0; i < G_N_ELEMENTS(widgets); i++) {
    int x, y;
    GtkAllocation a;
    gtk_widget_translate_coordinates(*widgets[i].widget, window, 0, 0, &x, &y);
    gtk_widget_get_allocation(*widgets[i].widget, &a);
    printf("layout %s %d %d %d %d\n", widgets[i].name, x, y, a.width, a.height);
  }
  printf("ready\n");
  fflush(stdout);
  return G_SOURCE_REMOVE;
}

static gboolean quit(GtkAccelGroup *g, GObject *o, guint key, GdkModifierType mods, gpointer d) {
  gtk_main_quit();
  return TRUE;
}

int main(int argc, char **argv) {
  gboolean layout = FALSE, still = FALSE;
  gtk_init(&argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--print-layout"))
      layout = TRUE;
    else if (!strcmp(argv[i], "--still"))
      still = TRUE;
    else {
      fprintf(stderr, "usage: counter [--print-layout] [--still]\n");
      return 2;
    }
  }
  window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
  gtk_window_set_title(GTK_WINDOW(window), "counter-gtk3");
  gtk_window_set_decorated(GTK_WINDOW(window), FALSE);
  gtk_window_set_default_size(GTK_WINDOW(window), 400, 200);
  gtk_widget_add_events(window, GDK_POINTER_MOTION_MASK);
  g_signal_connect(window, "destroy", G_CALLBACK(gtk_main_quit), NULL);
  GtkWidget *fixed = gtk_fixed_new();
  gtk_container_add(GTK_CONTAINER(window), fixed);

  label = gtk_label_new("Clicked 0 times");
  gtk_fixed_put(GTK_FIXED(fixed), label, 20, 20);
  button = gtk_button_new_with_label("Click me");
  gtk_widget_set_size_request(button, 160, 40);
  g_signal_connect(button, "clicked", G_CALLBACK(on_clicked), NULL);
  gtk_fixed_put(GTK_FIXED(fixed), button, 20, 60);
  entry = gtk_entry_new();
  gtk_widget_set_size_request(entry, 200, -1);
  gtk_fixed_put(GTK_FIXED(fixed), entry, 20, 120);
  square = gtk_drawing_area_new();
  gtk_widget_set_size_request(square, 24, 24);
  g_signal_connect(square, "draw", G_CALLBACK(on_draw), NULL);
  gtk_fixed_put(GTK_FIXED(fixed), square, 300, 20);
  if (!still)
    g_timeout_add(500, blink, NULL);

  GtkAccelGroup *accel = gtk_accel_group_new();
  gtk_accel_group_connect(accel, GDK_KEY_q, GDK_CONTROL_MASK, 0,
                          g_cclosure_new(G_CALLBACK(quit), NULL, NULL));
  gtk_window_add_accel_group(GTK_WINDOW(window), accel);
  if (layout)
    gtk_widget_add_tick_callback(window, print_layout, NULL, NULL);
  gtk_widget_show_all(window);
  gtk_main();
  return 0;
}
