// Reading one sample out of a Prometheus text exposition (what etagd's /metrics answers).
#pragma once

#include <optional>
#include <string_view>

namespace etagd::testing {

// The value of the sample whose series (name and labels, exactly as printed, e.g.
// `etagd_requests_total{method="GET",status="2xx",cache="HIT"}`) starts a line of `exposition`;
// nullopt when there is no such line or its value is not a number.
std::optional<double> sample_value(std::string_view exposition, std::string_view series);

}  // namespace etagd::testing
