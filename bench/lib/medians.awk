# Raw bench/run rows (one per measured run) -> one row per case and size with the medians of
# its repetitions. Input/outputs are comma-separated; -v hz=CLK_TCK converts CPU ticks.
# Out: size,case,contender,workers,kind,reps,rps,p50_us,p99_us,cpu_us_per_req,
#      core_us_per_req,bytes_per_req,rss_mib,errors

function median(list,    n, a, i, j, t) {
  n = split(list, a, " ")
  for (i = 2; i <= n; i++) {  # insertion sort: a handful of repetitions
    t = a[i] + 0
    for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]
    a[j + 1] = t
  }
  if (n == 0) return 0
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

NR == 1 { next }
{
  key = $1 SUBSEP $2
  if (!(key in reps)) { order[++groups] = key; meta[key] = $1 "," $2 "," $3 "," $4 "," $5 }
  reps[key]++
  req = $7 > 0 ? $7 : 1
  rps[key] = rps[key] " " $7 / ($8 / 1e6)
  p50[key] = p50[key] " " $10
  p99[key] = p99[key] " " $11
  cpu[key] = cpu[key] " " $13 * 1e6 / hz / req
  core[key] = core[key] " " $14 * 1e6 / hz / req
  bpr[key] = bpr[key] " " $9 / req
  rss[key] = rss[key] " " $15 / 1024
  errors[key] += $12
}
END {
  print "size,case,contender,workers,kind,reps,rps,p50_us,p99_us,cpu_us_per_req," \
        "core_us_per_req,bytes_per_req,rss_mib,errors"
  for (g = 1; g <= groups; g++) {
    k = order[g]
    printf "%s,%d,%.0f,%.0f,%.0f,%.2f,%.2f,%.0f,%.1f,%d\n", meta[k], reps[k], median(rps[k]),
           median(p50[k]), median(p99[k]), median(cpu[k]), median(core[k]), median(bpr[k]),
           median(rss[k]), errors[k]
  }
}
