// Sizes cpprest's thread pool before anything uses it, as the daemon's main does.
#include <gtest/gtest.h>

#include "adu/client/cpprest_http_client.h"

int main(int argc, char** argv) {
  adu::client::InitializeCpprestIoThreads(1);  // as the daemon does
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
