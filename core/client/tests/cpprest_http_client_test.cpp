// The cpprest HttpClient against the loopback server: the transport contract
// (http_transport_contract.h), nothing particular to add.
#include "adu/client/cpprest_http_client.h"

#include <gtest/gtest.h>

#include "http_transport_contract.h"

namespace adu::client {
namespace {

using testing::HttpTransportContract;

INSTANTIATE_TEST_SUITE_P(Cpprest, HttpTransportContract,
                         ::testing::Values(testing::TransportUnderTest{
                             "cpprest", [] { return MakeCpprestHttpClient({}); }, ":", 5}),
                         testing::TransportName);

}  // namespace
}  // namespace adu::client
