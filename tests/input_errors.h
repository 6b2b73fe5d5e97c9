// What the C++ tests of bad input share: that a call is refused as bad input, with a message saying what.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "kernels/error.h"

namespace oodbench::test {

/// Runs `load` and checks that it throws an InputError whose message contains every fragment.
template <class F>
void expect_input_error(F load, std::initializer_list<std::string> fragments) {
  try {
    load();
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    const std::string message = e.what();
    for (const auto& fragment : fragments) EXPECT_NE(message.find(fragment), std::string::npos) << message;
  }
}

}  // namespace oodbench::test
