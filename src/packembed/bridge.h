// Image → music through text, as the original design did: the photo's CLIP image embedding is compared
// (zero-shot) with the CLIP text embeddings of a bank of mood prompts; the best prompts' CLAP text embeddings,
// weighted by CLIP's softmax over the bank, make the query for the CLAP audio index.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "packembed/pack.h"

namespace audiorium::packembed {

struct MoodPrompt {
  std::string image_prompt;  // what CLIP reads: "a photo with a calm, peaceful mood"
  std::string music_prompt;  // what CLAP reads: "calm, peaceful music"
};
// The bank (24 moods). Fixed, so a result can be reproduced.
const std::vector<MoodPrompt>& mood_prompts();

struct BridgeChoice {
  std::size_t prompt = 0;  // index into the bank
  double probability = 0;  // CLIP softmax over the bank (logit scale 100)
};
struct BridgeResult {
  std::vector<BridgeChoice> chosen;  // the top ones, best first, probabilities renormalised over them
  std::vector<float> query;          // L2-normalised CLAP text-space vector
};

// clip needs image and text towers, clap a text tower with the same … nothing else: the two spaces never mix.
BridgeResult bridge_image_embedding(const std::vector<float>& clip_image, const Pack& clip, const Pack& clap,
                                    std::size_t top = 3);

}  // namespace audiorium::packembed
