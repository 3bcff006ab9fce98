// Build-time tool: writes etagd.yaml(5) from the settings tables and its hand-written parts.
//   etagd_yaml_man_page TEMPLATE VERSION OUTPUT
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "config/settings_reference.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s TEMPLATE VERSION OUTPUT\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::stringstream page_template;
  page_template << in.rdbuf();
  if (!in) {
    std::fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[1]);
    return 1;
  }
  std::ofstream out(argv[3], std::ios::binary | std::ios::trunc);
  out << etagd::config::render_man_page(page_template.str(), argv[2]);
  out.close();
  if (!out) {
    std::fprintf(stderr, "%s: cannot write %s\n", argv[0], argv[3]);
    return 1;
  }
  return 0;
}
