// render_svg() through the render module (harness/report/plot_render_module.h), opened on the first PNG or PDF plot.
#include <stdexcept>

#include "harness/report/plot_render.h"
#include "harness/report/plot_render_module.h"

namespace oodbench {

std::string render_svg(const std::string& svg, const std::string& format) {
  static std::string why_not;
  static const RenderModule* const module = module_interface<RenderModule>(
      module_entry(kRenderModuleFile, "oodbench_render_module", &why_not), kRenderModuleFile, kRenderModuleVersion,
      &why_not);
  if (module == nullptr) throw std::runtime_error("PNG and PDF plots: " + why_not);
  return module->render_svg(svg, format);
}

}  // namespace oodbench
