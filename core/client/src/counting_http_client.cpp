#include "adu/client/counting_http_client.h"

namespace adu::client {

void CountAnswer(Figures& figures, RequestCall call, const HttpResult& result) {
  if (const auto* response = std::get_if<HttpResponse>(&result)) {
    figures.CountRequest(call, response->status);
    return;
  }
  switch (std::get<TransportError>(result).kind) {
    case TransportErrorKind::kTimeout:
      figures.CountRequest(call, RequestFailure::kTimeout);
      break;
    case TransportErrorKind::kNetwork:
    case TransportErrorKind::kTooLarge:
      figures.CountRequest(call, RequestFailure::kNetwork);
      break;
    case TransportErrorKind::kCancelled:
      break;
  }
}

CountingHttpClient::CountingHttpClient(HttpClient& inner, Figures& figures, RequestCall call)
    : inner_(inner), figures_(figures), call_(call) {}

void CountingHttpClient::Send(HttpRequest request, DoneCallback done) {
  inner_.Send(std::move(request),
              [figures = &figures_, call = call_, done = std::move(done)](HttpResult result) {
                CountAnswer(*figures, call, result);
                done(std::move(result));
              });
}

void CountingHttpClient::CancelAll() { inner_.CancelAll(); }

}  // namespace adu::client
