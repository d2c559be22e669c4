// Small vector helpers shared by the stages that produce and compare embeddings.
#pragma once

#include <span>

namespace audiorium {

// Scales v to unit length (computed in double); a zero vector is left as it is.
void l2_normalise(std::span<float> v);

}  // namespace audiorium
