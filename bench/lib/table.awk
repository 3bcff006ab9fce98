# Medians CSV (medians.awk) -> the report: a table per body size, the ratios of etagd to nginx
# and to Varnish, and the issue's targets with "met" or "MISSED".

function label(s) { return s % 1024 == 0 ? s / 1024 " KiB" : s " B" }
function has(s, c) { return (s SUBSEP c) in rps }
function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
# rps ratio and CPU ratio (their µs / etagd's µs: above 1 means etagd spends less per request)
function vs(s, e, o) {
  if (!has(s, e) || !has(s, o)) return sprintf("%-17s", "-")
  return sprintf("%5sx  cpu %5sx ", ratio(rps[s, e], rps[s, o]), ratio(cpu[s, o], cpu[s, e]))
}
function target(what, ok) { printf "  %-66s %s\n", what, ok ? "met" : "MISSED" }

NR == 1 { next }
{
  s = $1; c = $2
  if (!(s in seen)) { sizes[++nsizes] = s; seen[s] = 1 }
  if (!((s SUBSEP c) in rps)) cases[s, ++ncases[s]] = c
  rps[s, c] = $7; p50[s, c] = $8; p99[s, c] = $9; cpu[s, c] = $10; core[s, c] = $11
  bpr[s, c] = $12; rss[s, c] = $13; err[s, c] = $14; reps = $6
}
END {
  for (i = 1; i <= nsizes; i++) {
    s = sizes[i]
    printf "body %s (medians of %d)\n", label(s), reps
    printf "  %-20s %10s %8s %8s %9s %9s %9s %8s\n", "case", "req/s", "p50 us", "p99 us",
           "CPU us/r", "core us/r", "bytes/r", "RSS MiB"
    for (j = 1; j <= ncases[s]; j++) {
      c = cases[s, j]
      printf "  %-20s %10.0f %8.0f %8.0f %9.2f %9.2f %9.0f %8.1f%s\n", c, rps[s, c], p50[s, c],
             p99[s, c], cpu[s, c], core[s, c], bpr[s, c], rss[s, c],
             (err[s, c] > 0 ? "  errors: " err[s, c] : "")
    }
    print ""
  }

  print "etagd / nginx and etagd / Varnish: req/s ratio, and CPU ratio (their us per request /"
  print "etagd's; above 1 = etagd cheaper)"
  printf "  %-8s %-22s %-28s %-28s\n", "body", "etagd case", "vs nginx", "vs Varnish"
  n = split("etagd_hit:nginx_hit:varnish_hit etagd_304:nginx_304:varnish_304 " \
            "etagd_miss:nginx_miss:varnish_miss etagd_bypass:nginx_pass:varnish_pass " \
            "etagd_validate:nginx_pass:varnish_pass etagd_bypass_1core:nginx_pass_1core:- " \
            "etagd_miss_static:nginx_miss_static:- etagd_tls_hit:nginx_tls_hit:- " \
            "etagd_tls_304:nginx_tls_304:- etagd_tls_origin_miss:nginx_tls_origin_miss:-",
            rows, " ")
  for (i = 1; i <= nsizes; i++) {
    s = sizes[i]
    for (j = 1; j <= n; j++) {
      split(rows[j], r, ":")
      if (!has(s, r[1])) continue
      printf "  %-8s %-22s %-28s %-28s\n", label(s), r[1], vs(s, r[1], r[2]), vs(s, r[1], r[3])
    }
  }
  print ""

  print "targets; on a shared or noisy machine these are indicative"
  for (i = 1; i <= nsizes; i++) {
    s = sizes[i]; L = label(s)
    if (has(s, "etagd_hit") && has(s, "nginx_hit")) {
      target(L ": hit 200 req/s >= 1.5x nginx proxy_cache (" ratio(rps[s, "etagd_hit"], rps[s, "nginx_hit"]) "x)",
             rps[s, "etagd_hit"] >= 1.5 * rps[s, "nginx_hit"])
      target(L ": hit 200 p99 <= nginx's (" p99[s, "etagd_hit"] " vs " p99[s, "nginx_hit"] " us)",
             p99[s, "etagd_hit"] <= p99[s, "nginx_hit"])
    }
    if (has(s, "etagd_304") && has(s, "nginx_304")) {
      target(L ": 304 req/s >= 1.5x nginx (" ratio(rps[s, "etagd_304"], rps[s, "nginx_304"]) "x)",
             rps[s, "etagd_304"] >= 1.5 * rps[s, "nginx_304"])
      target(L ": 304 p99 <= nginx's (" p99[s, "etagd_304"] " vs " p99[s, "nginx_304"] " us)",
             p99[s, "etagd_304"] <= p99[s, "nginx_304"])
    }
    if (has(s, "etagd_miss") && has(s, "nginx_miss"))
      target(L ": miss path (fetch, hash, store) req/s >= 2x nginx (" \
             ratio(rps[s, "etagd_miss"], rps[s, "nginx_miss"]) "x)",
             rps[s, "etagd_miss"] >= 2 * rps[s, "nginx_miss"])
    if (has(s, "etagd_miss_static") && has(s, "nginx_miss_static"))
      target(L ": miss to a static origin on the proxy's core: CPU <= half of nginx's (" \
             cpu[s, "etagd_miss_static"] " vs " cpu[s, "nginx_miss_static"] " us)",
             2 * cpu[s, "etagd_miss_static"] <= cpu[s, "nginx_miss_static"])
    if (has(s, "etagd_bypass") && has(s, "nginx_pass"))
      target(L ": bypass req/s >= 1.2x nginx proxy_pass (" \
             ratio(rps[s, "etagd_bypass"], rps[s, "nginx_pass"]) "x)",
             rps[s, "etagd_bypass"] >= 1.2 * rps[s, "nginx_pass"])
    if (has(s, "etagd_hit"))
      target(L ": CPU per hit <= 15 us (" cpu[s, "etagd_hit"] " us)", cpu[s, "etagd_hit"] <= 15)
    if (has(s, "etagd_tls_hit") && has(s, "nginx_tls_hit"))
      target(L ": hit 200 over TLS req/s >= 1.3x nginx (" \
             ratio(rps[s, "etagd_tls_hit"], rps[s, "nginx_tls_hit"]) "x)",
             rps[s, "etagd_tls_hit"] >= 1.3 * rps[s, "nginx_tls_hit"])
    if (has(s, "etagd_tls_304") && has(s, "nginx_tls_304"))
      target(L ": 304 over TLS req/s >= 1.3x nginx (" \
             ratio(rps[s, "etagd_tls_304"], rps[s, "nginx_tls_304"]) "x)",
             rps[s, "etagd_tls_304"] >= 1.3 * rps[s, "nginx_tls_304"])
    if (has(s, "etagd_tls_origin_miss") && has(s, "nginx_tls_origin_miss"))
      target(L ": miss to an https origin, pooled: CPU <= half of nginx's (" \
             cpu[s, "etagd_tls_origin_miss"] " vs " cpu[s, "nginx_tls_origin_miss"] " us)",
             2 * cpu[s, "etagd_tls_origin_miss"] <= cpu[s, "nginx_tls_origin_miss"])
    if (has(s, "etagd_bypass_1core") && has(s, "origin"))
      target(L ": through etagd bypass >= 70% of the origin direct, one core for both (" \
             sprintf("%.0f%%", 100 * rps[s, "etagd_bypass_1core"] / rps[s, "origin"]) ")",
             rps[s, "etagd_bypass_1core"] >= 0.7 * rps[s, "origin"])
  }
  print ""
  print "scaling (2 etagd workers / 1)"
  for (i = 1; i <= nsizes; i++) {
    s = sizes[i]
    if (has(s, "etagd2_hit") && has(s, "etagd_hit"))
      printf "  %-8s hit 200 %sx req/s, 304 %sx req/s\n", label(s),
             ratio(rps[s, "etagd2_hit"], rps[s, "etagd_hit"]),
             has(s, "etagd2_304") ? ratio(rps[s, "etagd2_304"], rps[s, "etagd_304"]) : "-"
  }
}
