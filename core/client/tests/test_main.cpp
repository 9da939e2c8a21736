// Sizes cpprest's thread pool before anything uses it, as the daemon's main does.
#include <gtest/gtest.h>
#include <pplx/threadpool.h>

int main(int argc, char** argv) {
  crossplat::threadpool::initialize_with_threads(1);  // as the daemon does
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
