#include "core/vector_math.h"

#include <cmath>

namespace audiorium {

void l2_normalise(std::span<float> v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * static_cast<double>(x);
  if (sum == 0) return;
  const double inv = 1.0 / std::sqrt(sum);
  for (float& x : v) x = static_cast<float>(x * inv);
}

}  // namespace audiorium
