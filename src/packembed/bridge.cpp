#include "packembed/bridge.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace audiorium::packembed {

const std::vector<MoodPrompt>& mood_prompts() {
  static const std::vector<MoodPrompt> bank = [] {
    const std::vector<std::pair<const char*, const char*>> moods{
        {"calm, peaceful", "calm, peaceful ambient music"},
        {"happy, cheerful", "happy, cheerful upbeat music"},
        {"sad, melancholic", "sad, melancholic slow music"},
        {"dark, ominous", "dark, ominous music with low drones"},
        {"energetic, exciting", "energetic, fast music with driving drums"},
        {"romantic, tender", "romantic, tender love song"},
        {"epic, heroic", "epic orchestral music with brass and choir"},
        {"dreamy, ethereal", "dreamy, ethereal music with reverb and pads"},
        {"tense, suspenseful", "tense, suspenseful cinematic music"},
        {"playful, whimsical", "playful, whimsical music"},
        {"nostalgic, wistful", "nostalgic lo-fi music"},
        {"aggressive, angry", "aggressive heavy music with distorted guitars"},
        {"relaxing, cozy", "relaxing acoustic music for a cozy evening"},
        {"mysterious", "mysterious atmospheric music"},
        {"triumphant, uplifting", "uplifting, triumphant anthem"},
        {"lonely, empty", "sparse, lonely solo piano"},
        {"festive, celebratory", "festive party dance music"},
        {"serene, natural", "serene music with birdsong and flute"},
        {"urban, gritty", "gritty urban hip hop beat"},
        {"futuristic, neon", "futuristic synthwave with neon synths"},
        {"warm, sunny", "warm, sunny tropical music"},
        {"cold, wintry", "cold, icy minimal electronic music"},
        {"spiritual, sacred", "spiritual choral music"},
        {"chaotic, frantic", "chaotic, frantic experimental music"},
    };
    std::vector<MoodPrompt> out;
    for (const auto& [mood, music] : moods) out.push_back({std::string("a photo with a ") + mood + " mood", music});
    return out;
  }();
  return bank;
}

BridgeResult bridge_image_embedding(const std::vector<float>& clip_image, const Pack& clip, const Pack& clap,
                                    std::size_t top) {
  if (!clip.has_text()) throw Error("pack '" + clip.spec().name + "' has no text tower for the mood prompts");
  if (!clap.has_text()) throw Error("pack '" + clap.spec().name + "' has no text tower for the mood prompts");
  if (clip_image.size() != static_cast<std::size_t>(clip.dim()))
    throw Error("image embedding of the wrong dimension for pack '" + clip.spec().name + "'");
  const auto& bank = mood_prompts();
  std::vector<std::string> image_prompts, music_prompts;
  for (const auto& p : bank) {
    image_prompts.push_back(p.image_prompt);
    music_prompts.push_back(p.music_prompt);
  }
  const auto clip_text = clip.embed_texts(image_prompts);
  std::vector<double> logits(bank.size());
  for (std::size_t i = 0; i < bank.size(); ++i) {
    double dot = 0;
    for (std::size_t d = 0; d < clip_image.size(); ++d) dot += static_cast<double>(clip_image[d]) * clip_text[i][d];
    logits[i] = 100.0 * dot;  // CLIP's logit scale
  }
  const double mx = *std::max_element(logits.begin(), logits.end());
  std::vector<double> prob(bank.size());
  double z = 0;
  for (std::size_t i = 0; i < bank.size(); ++i) z += prob[i] = std::exp(logits[i] - mx);
  for (auto& p : prob) p /= z;
  std::vector<std::size_t> order(bank.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return prob[a] > prob[b]; });
  top = std::clamp<std::size_t>(top, 1, bank.size());
  BridgeResult r;
  double kept = 0;
  for (std::size_t i = 0; i < top; ++i) kept += prob[order[i]];
  std::vector<std::string> chosen_music;
  for (std::size_t i = 0; i < top; ++i) {
    r.chosen.push_back({order[i], prob[order[i]] / kept});
    chosen_music.push_back(music_prompts[order[i]]);
  }
  const auto clap_text = clap.embed_texts(chosen_music);
  std::vector<double> q(static_cast<std::size_t>(clap.dim()), 0.0);
  for (std::size_t i = 0; i < top; ++i)
    for (std::size_t d = 0; d < q.size(); ++d) q[d] += r.chosen[i].probability * clap_text[i][d];
  double n = 0;
  for (double v : q) n += v * v;
  n = std::sqrt(n);
  r.query.resize(q.size());
  for (std::size_t d = 0; d < q.size(); ++d) r.query[d] = static_cast<float>(n > 0 ? q[d] / n : 0.0);
  return r;
}

}  // namespace audiorium::packembed
