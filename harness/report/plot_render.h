// PNG and PDF versions of the report's SVG plots, rendered from the same SVG by librsvg and cairo (no second drawing
// code): PNG at twice the SVG's size for slides, PDF at its size for papers.
#pragma once

#include <string>

namespace oodbench {

/// The bytes of a PNG (2x the SVG's pixel size) or a one-page PDF of `svg`; `format` is "png" or "pdf". A document
/// librsvg cannot read is a std::runtime_error (our plots are our own SVG, so that is a bug, not bad input).
std::string render_svg(const std::string& svg, const std::string& format);

}  // namespace oodbench
