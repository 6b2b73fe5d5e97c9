#include "harness/report/plot_render.h"
#include "harness/report/plot_render_module.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <librsvg/rsvg.h>

#include <memory>
#include <stdexcept>

namespace oodbench {
namespace {

/// cairo's write callback: appends to a std::string.
cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

struct HandleFree {
  void operator()(RsvgHandle* h) const { g_object_unref(h); }
};
struct SurfaceFree {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoFree {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};

void draw(RsvgHandle* handle, cairo_surface_t* surface, double width, double height, double scale) {
  const std::unique_ptr<cairo_t, CairoFree> cr(cairo_create(surface));
  cairo_scale(cr.get(), scale, scale);
  const RsvgRectangle viewport{0, 0, width, height};
  GError* error = nullptr;
  if (!rsvg_handle_render_document(handle, cr.get(), &viewport, &error)) {
    const std::string why = error ? error->message : "unknown error";
    if (error) g_error_free(error);
    throw std::runtime_error("render_svg: librsvg could not draw the plot: " + why);
  }
}

}  // namespace

std::string render_svg(const std::string& svg, const std::string& format) {
  GError* error = nullptr;
  const std::unique_ptr<RsvgHandle, HandleFree> handle(
      rsvg_handle_new_from_data(reinterpret_cast<const guint8*>(svg.data()), svg.size(), &error));
  if (!handle) {
    const std::string why = error ? error->message : "unknown error";
    if (error) g_error_free(error);
    throw std::runtime_error("render_svg: librsvg could not read the plot: " + why);
  }
  double width = 0, height = 0;
  if (!rsvg_handle_get_intrinsic_size_in_pixels(handle.get(), &width, &height))
    throw std::runtime_error("render_svg: the plot has no width and height");
  std::string out;
  if (format == "png") {
    constexpr double kScale = 2;  // crisp on slides and high-density screens
    const std::unique_ptr<cairo_surface_t, SurfaceFree> surface(cairo_image_surface_create(
        CAIRO_FORMAT_ARGB32, static_cast<int>(width * kScale + 0.5), static_cast<int>(height * kScale + 0.5)));
    draw(handle.get(), surface.get(), width, height, kScale);
    cairo_surface_write_to_png_stream(surface.get(), append, &out);
  } else if (format == "pdf") {
    // Points at 1 px = 1 pt; no creation date, so the same plot gives the same bytes (reports are reproducible).
    const std::unique_ptr<cairo_surface_t, SurfaceFree> surface(
        cairo_pdf_surface_create_for_stream(append, &out, width, height));
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATE_DATE, "");
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "oodbench");
    draw(handle.get(), surface.get(), width, height, 1);
    cairo_surface_finish(surface.get());
  } else {
    throw std::logic_error("render_svg: unknown format " + format);
  }
  return out;
}

}  // namespace oodbench

namespace oodbench {
namespace {
constexpr RenderModule kModule{kRenderModuleVersion, render_svg};
}  // namespace
}  // namespace oodbench

OODBENCH_MODULE_ENTRY const oodbench::RenderModule* oodbench_render_module() { return &oodbench::kModule; }
