// The PNG/PDF renderer as a module, liboodbench_render.so (kernels/module_loader.h): librsvg, cairo, pango and
// their X11 and font libraries are loaded only when a sweep asks for PNG or PDF plots.
#pragma once

#include <string>

#include "kernels/module_loader.h"

namespace oodbench {

inline constexpr const char* kRenderModuleFile = "liboodbench_render.so";
/// Bumped whenever this struct changes, so a module from another build is refused.
inline constexpr int kRenderModuleVersion = 1;

struct RenderModule {
  int version;
  std::string (*render_svg)(const std::string& svg, const std::string& format);  ///< as plot_render.h's
};

}  // namespace oodbench

OODBENCH_MODULE_ENTRY const oodbench::RenderModule* oodbench_render_module();
