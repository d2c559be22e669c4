// The map of a library: every track's finished embedding projected to 3D and 2D for the web app's Explore
// view, so that tracks that sound alike sit close together.
//
// Method: PCA (FAISS's PCAMatrix, trained on all rows) onto the top 3 principal axes; the 2D map is the first
// two of them, so both views agree. Each axis is then scaled on its own so its 2nd..98th percentile spans
// [-0.9, 0.9] and clamped to [-1, 1]: a robust per-axis whitening that fills the view instead of letting a few
// outliers (or the dominant first component) squash everyone else into the middle. The sign of each axis is
// fixed (the side with the longer tail is positive), so the same library gives the same map on every machine
// and a small library change does not mirror it.
//
// Why PCA: it is linear, deterministic, cheap (one d×d eigenproblem) and honest about global structure;
// neighbour-preserving methods (t-SNE, UMAP) keep local neighbourhoods better but need iterations and tuning.
// `neighbourhood_preservation` measures how much of the high-dimensional neighbourhood survives, so a better
// projection can be compared against this one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace audiorium::recommend {

struct MapProjection {
  std::size_t count = 0;
  std::vector<float> xyz;  // count × 3, row-major, each in [-1, 1]
  std::vector<float> xy;   // count × 2, row-major, each in [-1, 1] (the first two axes of xyz)
  // Share of the total variance each of the 3 axes carries (0 when there is none), for the legend.
  std::vector<float> explained_variance;
};

// Projects `rows` vectors of `dim` floats (row-major). Deterministic for the same input. 0 rows: an empty
// map; 1 row: the origin; rows with no variance at all sit at the origin. dim must be positive when rows > 0.
MapProjection project_map(std::span<const float> vectors, std::size_t rows, int dim);

// The mean share of each row's k nearest neighbours (Euclidean, brute force) in the original space that are
// also among its k nearest in the projection (proj_dim columns of `projected`). 1 = perfectly preserved,
// about k / rows for a random layout. O(rows² · dim): for tests and benches, not for requests.
double neighbourhood_preservation(std::span<const float> vectors, int dim, std::span<const float> projected,
                                  int proj_dim, std::size_t rows, int k);

}  // namespace audiorium::recommend
