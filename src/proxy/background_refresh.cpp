#include "proxy/background_refresh.h"

#include "proxy/exchange.h"
#include "proxy/worker.h"

namespace etagd::proxy {

BackgroundRefresh::BackgroundRefresh(Worker& worker) : worker_(worker) {}

BackgroundRefresh::~BackgroundRefresh() = default;

base::Status BackgroundRefresh::make(Worker& worker, const http::RequestHead& request,
                                     const ClientIdentity& client,
                                     std::unique_ptr<BackgroundRefresh>& out) {
  std::unique_ptr<BackgroundRefresh> r(new BackgroundRefresh(worker));
  // Rebuild a RequestHead over our own copy of the request line and fields.
  std::string& bytes = r->head_bytes_;
  bytes.append(request.method_token).append(" ").append(request.target).append(" HTTP/1.1\r\n");
  for (const http::HeaderField& f : request.headers) {
    bytes.append(f.name).append(": ").append(f.value).append("\r\n");
  }
  bytes.append("\r\n");
  r->client_ = client;
  http::HeadScan scan;
  scan.status = http::HeadScan::Status::Complete;
  scan.length = bytes.size();
  if (std::string_view error = http::parse_request_head(bytes, scan, r->request_); !error.empty()) {
    return base::Status::error(std::string(error));
  }
  out = std::move(r);
  return base::Status::ok();
}

void BackgroundRefresh::start(cache::EntryRef stale, std::string key) {
  exchange_ = std::make_unique<Exchange>(worker_, *this, request_, nullptr);
  exchange_->start_refresh(std::move(stale), std::move(key));
}

void BackgroundRefresh::abandon() {
  if (exchange_) exchange_->abandon();
}

void BackgroundRefresh::end_answer() {
  // Retires this object, and with it the exchange: nothing may follow.
  worker_.end_background_refresh(this);
}

}  // namespace etagd::proxy
