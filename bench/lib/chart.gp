# bench/run's chart: requests/s (top) and server CPU per request (bottom) for every case, one
# column per body size. Called as: gnuplot -e "csv='...'; png='...'; sizes='2048 65536'" chart.gp
# Bars are coloured by contender: etagd, nginx, Varnish, origin.

n = words(sizes)
set terminal pngcairo noenhanced size (700 * n), 900 font "sans,9"
set output png
set multiplot layout 2, n
set style fill solid 0.85 border -1
set boxwidth 0.75
set grid ytics
set xtics rotate by -50 scale 0
set yrange [0:*]
set key off
set linetype 1 lc rgb "#1b9e77"
set linetype 2 lc rgb "#d95f02"
set linetype 3 lc rgb "#7570b3"
set linetype 4 lc rgb "#888888"

# "case rps cpu_us colour" for one size
rows(s) = sprintf("< awk -F, -v s=%s 'NR > 1 && $1 == s { c = ($3 == \"etagd\") ? 1 : ($3 == \"nginx\") ? 2 : ($3 == \"varnish\") ? 3 : 4; print $2, $7, $10, c }' '%s'", s, csv)
label(s) = (int(s) % 1024 == 0) ? sprintf("%d KiB", int(s) / 1024) : sprintf("%s B", s)

do for [i = 1:n] {
  s = word(sizes, i)
  set title sprintf("requests/s, %s bodies (etagd green, nginx orange, Varnish purple, origin grey)", label(s))
  plot rows(s) using 0:2:4:xtic(1) with boxes lc variable
}
do for [i = 1:n] {
  s = word(sizes, i)
  set title sprintf("server CPU us per request, %s bodies (lower is better)", label(s))
  plot rows(s) using 0:3:4:xtic(1) with boxes lc variable
}
unset multiplot
