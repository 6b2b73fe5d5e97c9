// The critical-difference diagram: which detectors it joins, and that the SVG says what it draws.
#include <gtest/gtest.h>

#include <regex>

#include "harness/report/cd_diagram.h"

namespace oodbench {
namespace {

using Cliques = std::vector<std::pair<std::size_t, std::size_t>>;

TEST(CdDiagram, CliquesJoinRanksCloserThanTheCriticalDifference) {
  // 1.5 .. 2.5 .. 3.75 within 2.49 of 1.5; 2.42 .. 4.83 within 2.49 of 2.42: two maximal runs.
  EXPECT_EQ(rank_cliques({1.5, 2.4166666666666667, 2.5, 3.75, 4.8333333333333333}, 2.4901059245),
            (Cliques{{0, 3}, {1, 4}}));
  EXPECT_EQ(rank_cliques({1, 2, 3}, 0.5), Cliques{});         // all apart
  EXPECT_EQ(rank_cliques({1, 2, 3}, 10), (Cliques{{0, 2}}));  // all together: one bar, not three
  EXPECT_EQ(rank_cliques({1, 2, 4}, 2), (Cliques{{0, 1}}));   // a difference of exactly CD is significant
}

TEST(CdDiagram, SvgCarriesRanksCdAndCliques) {
  const CriticalDifferenceDiagram d{"AUROC ranks", {"knn", "mahalanobis", "msp <a&b>"}, {1.2, 2.0, 2.8}, 1.0};
  const std::string svg = d.render();
  EXPECT_NE(svg.find("class=\"cd-bar\" data-cd=\"1\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("data-name=\"knn\" data-rank=\"1.2\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("msp &lt;a&amp;b&gt;"), std::string::npos) << svg;
  const std::regex clique("class=\"clique\" data-first=\"(\\d)\" data-last=\"(\\d)\"");
  std::vector<std::string> found;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), clique); it != std::sregex_iterator(); ++it)
    found.push_back((*it)[1].str() + "-" + (*it)[2].str());
  EXPECT_EQ(found, (std::vector<std::string>{"1-2", "2-3"}));
}

}  // namespace
}  // namespace oodbench
