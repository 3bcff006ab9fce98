#!/bin/sh
# Renders a generated manual page the way man(1) does and fails on any warning from groff or
# man. Skipped (exit 77) where groff is not installed.
page=$1
if ! command -v groff >/dev/null 2>&1; then
  echo "groff is not installed: skipped"
  exit 77
fi
if [ ! -s "$page" ]; then
  echo "$page is missing or empty (the etagd_man_pages target writes it)"
  exit 1
fi
warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
if [ -n "$warnings" ]; then
  echo "groff -man -ww $page:"
  echo "$warnings"
  exit 1
fi
if command -v man >/dev/null 2>&1; then
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  if [ -n "$warnings" ]; then
    echo "man --warnings -l $page:"
    echo "$warnings"
    exit 1
  fi
fi
echo "$page renders without warnings"
