#include "http/accept_encoding.h"

#include "http/token.h"

namespace etagd::http {

namespace {

// RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
// Returns thousandths, or -1 when malformed.
int parse_qvalue(std::string_view v) {
  if (v.empty() || (v[0] != '0' && v[0] != '1')) return -1;
  int whole = v[0] - '0';
  if (v.size() == 1) return whole * 1000;
  if (v[1] != '.' || v.size() > 5) return -1;
  int frac = 0;
  int scale = 100;
  for (char c : v.substr(2)) {
    if (c < '0' || c > '9') return -1;
    frac += (c - '0') * scale;
    scale /= 10;
  }
  if (whole == 1 && frac != 0) return -1;
  return whole * 1000 + frac;
}

// The weight of one member ("gzip;q=0.5" -> 500), or -1 when a parameter is malformed.
// Parameters other than q are ignored (RFC 9110 §12.5.3 defines only the weight).
int member_weight(std::string_view params) {
  int weight = 1000;
  while (!params.empty()) {
    size_t semi = params.find(';');
    std::string_view p = trim_ows(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (p.empty()) continue;
    size_t eq = p.find('=');
    if (eq == std::string_view::npos) return -1;
    if (!iequals(trim_ows(p.substr(0, eq)), "q")) continue;
    weight = parse_qvalue(trim_ows(p.substr(eq + 1)));
    if (weight < 0) return -1;
  }
  return weight;
}

constexpr ContentCoding kRecognised[] = {ContentCoding::Br, ContentCoding::Deflate,
                                         ContentCoding::Gzip, ContentCoding::Zstd,
                                         ContentCoding::Identity};

}  // namespace

void AcceptEncoding::apply(std::string_view value) {
  present_ = true;
  for_each_list_member(value, [&](std::string_view member) {
    size_t semi = member.find(';');
    std::string_view token = trim_ows(member.substr(0, semi));
    int weight = semi == std::string_view::npos ? 1000 : member_weight(member.substr(semi + 1));
    if (weight < 0 || token.empty()) return true;
    auto w = static_cast<int16_t>(weight);
    if (token == "*") {
      star_ = w;
    } else if (std::optional<ContentCoding> c = parse_coding_name(token)) {
      // A coding named twice keeps its higher weight.
      int16_t& slot = named_[static_cast<size_t>(*c)];
      if (w > slot) slot = w;
    }
    return true;
  });
}

AcceptEncoding AcceptEncoding::parse(std::string_view value) {
  AcceptEncoding a;
  a.apply(value);
  return a;
}

AcceptEncoding AcceptEncoding::from_request(const HeaderList& headers) {
  AcceptEncoding a;
  for (const HeaderField& f : headers) {
    if (iequals(f.name, "accept-encoding")) a.apply(f.value);
  }
  return a;
}

int AcceptEncoding::weight(ContentCoding coding) const {
  bool identity = coding == ContentCoding::Identity;
  if (!present_) return identity ? 1000 : 0;
  int16_t named = named_[static_cast<size_t>(coding)];
  if (named >= 0) return named;
  if (star_ >= 0) return star_;
  // Not named, no "*": identity stays acceptable (RFC 9110 §12.5.3), anything else is not.
  // Identity weighs least of all acceptable codings, so an explicitly listed coding wins.
  return identity ? 1 : 0;
}

ContentCoding AcceptEncoding::choose(std::span<const ContentCoding> offered) const {
  ContentCoding best = ContentCoding::Identity;
  int best_weight = weight(ContentCoding::Identity);
  bool have = false;
  for (ContentCoding c : offered) {
    if (c == ContentCoding::Identity) continue;
    int w = weight(c);
    if (w <= 0) continue;
    // An offered coding beats identity at equal weight: compressing is why it is offered.
    if (!have ? w >= best_weight : w > best_weight) {
      best = c;
      best_weight = w;
      have = true;
    }
  }
  return best;
}

std::string AcceptEncoding::variant_key() const {
  std::string key;
  for (ContentCoding c : kRecognised) {
    if (!acceptable(c)) continue;
    if (!key.empty()) key += ',';
    key += coding_name(c);
  }
  return key;
}

std::string accept_encoding_variant_key(const HeaderList& headers) {
  return AcceptEncoding::from_request(headers).variant_key();
}

}  // namespace etagd::http
