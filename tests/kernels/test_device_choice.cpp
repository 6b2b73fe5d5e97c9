// The decision `--device auto` and the CUDA module make before anything runs on a GPU (kernels/device_choice.h): does
// this build's GPU code cover the device's compute capability? Driven here with made-up devices against architecture
// lists as CMake writes them, so that it is tested on a machine without a GPU.
#include <gtest/gtest.h>

#include "kernels/device_choice.h"

namespace oodbench {
namespace {

bool runs(const char* list, int major, int minor) {
  return choose_gpu("a GPU", major, minor, parse_cuda_architectures(list)).usable;
}

TEST(DeviceChoice, TheDefaultBuildRunsOnAmpereAndLaterButNotOnTuringOrVolta) {
  const char* defaults = "80,86,89,90";  // CMakeLists.txt's default, as the module gets it
  EXPECT_FALSE(runs(defaults, 7, 5)) << "T4";
  EXPECT_FALSE(runs(defaults, 7, 0)) << "V100";
  EXPECT_TRUE(runs(defaults, 8, 0)) << "A100";
  EXPECT_TRUE(runs(defaults, 8, 7)) << "Orin: sm_86 machine code runs on 8.7";
  EXPECT_TRUE(runs(defaults, 9, 0)) << "H100";
  EXPECT_TRUE(runs(defaults, 12, 0)) << "a later GPU: the driver compiles the PTX for 9.0";
}

TEST(DeviceChoice, MachineCodeRunsWithinItsMajorVersionAndPtxOnLaterOnes) {
  EXPECT_TRUE(runs("90", 9, 0));
  EXPECT_FALSE(runs("90", 8, 9)) << "code for 9.0 never runs on an earlier GPU";
  EXPECT_FALSE(runs("90-real", 12, 0)) << "machine code alone does not run on another major version";
  EXPECT_TRUE(runs("90-virtual", 12, 0)) << "PTX does, compiled by the driver";
  EXPECT_TRUE(runs("80-real;90-virtual", 8, 6));
  EXPECT_FALSE(runs("86-real", 8, 0)) << "machine code for 8.6 does not run on 8.0";
  EXPECT_TRUE(runs("90a-real", 9, 0));
  EXPECT_FALSE(runs("90a", 10, 0)) << "architecture-specific code and PTX run on 9.0 alone";
  EXPECT_TRUE(runs("100f", 10, 3)) << "family code runs on later minors of its major version";
  EXPECT_FALSE(runs("100f", 12, 0));
}

TEST(DeviceChoice, TheReasonNamesTheCapabilityTheListAndTheFix) {
  const GpuChoice t4 = choose_gpu("Tesla T4", 7, 5, parse_cuda_architectures("80,86,89,90"));
  EXPECT_FALSE(t4.usable);
  EXPECT_EQ(t4.reason, "the GPU (Tesla T4) has compute capability 7.5, which this build's GPU code does not cover "
                       "(CUDA architectures 80 86 89 90); rebuild with -DCMAKE_CUDA_ARCHITECTURES=75");
  EXPECT_EQ(t4.reason.find('\n'), std::string::npos) << "one line";
  EXPECT_TRUE(choose_gpu("H100", 9, 0, parse_cuda_architectures("90")).reason.empty());
}

TEST(DeviceChoice, ListsCMakeResolvesItselfAreLeftToCuda) {
  for (const char* list : {"native", "all", "all-major", ""}) {
    const BuildArchitectures build = parse_cuda_architectures(list);
    EXPECT_FALSE(build.known) << list;
    EXPECT_TRUE(choose_gpu("any", 3, 0, build).usable) << list << ": the module's kernel probe decides";
  }
  EXPECT_TRUE(parse_cuda_architectures("75 80").known);
}

}  // namespace
}  // namespace oodbench
