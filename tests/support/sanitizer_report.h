// Finding a sanitizer's report in a process log, so a test that ran etagd under ASan/UBSan
// fails on a report even when every answer it checked was right.
#pragma once

#include <string>
#include <string_view>

namespace etagd::testing {

// The first sanitizer report (ASan, LSan, UBSan, TSan) in a log, from the start of its line
// and at most 4000 bytes; "" when there is none.
std::string sanitizer_report(std::string_view log);

}  // namespace etagd::testing
