/* zoo.c — attention configurations of real model families (data only).
 *
 * Owns: one entry per model: layer kinds (global / sliding window n), head
 * counts and sizes per kind, features (V a view of K, sinks, softcap, ALiBi)
 * and the model's own speculative (MTP) head. Each entry names its public
 * source; figures are copied from the model's config.json on Hugging Face
 * (field names in parentheses) or from llama.cpp's reading of the
 * architecture, never estimated.
 * Must not know: servers, planners, devices.
 *
 * How llama.cpp maps configs to FA nodes (facts used below):
 *  - MLA (DeepSeek-V2/V3, GLM-4.7-Flash, Mistral Small 4): with the absorbed
 *    ("MLA") path the cache holds one latent head per token of
 *    kv_lora_rank + qk_rope_head_dim values; K is that row, V is a view of
 *    its first kv_lora_rank values, and every query head reads it:
 *    Dk = kv_lora_rank + qk_rope_head_dim, Dv = kv_lora_rank, n_head_kv = 1.
 *  - Sliding layers: layer il is a sliding-window layer when
 *    il % period < period - 1 (llama.cpp's swa pattern), i.e. the last layer
 *    of each period is global.
 */
#include <string.h>

#include "fasv/scenario.h"

/* field order: name, n_layers, window, n_head, n_head_kv, dk, dv, v_is_k, sinks, softcap, max_bias, scale */
#define GLOBAL(nl, h, hkv, d) {"global", nl, 0, h, hkv, d, d, false, false, 0.0f, 0.0f, 0.0f}

static const fasv_model k_models[] = {
    /* meta-llama/Meta-Llama-3-8B config.json: num_hidden_layers 32, num_attention_heads 32,
     * num_key_value_heads 8, hidden_size 4096 (head 128). */
    {"llama3-8b", "Llama 3 8B", "meta-llama/Meta-Llama-3-8B config.json", 32, 0, 1,
     {GLOBAL(32, 32, 8, 128)}, FASV_MTP_NONE, 0, {{0}}},
    /* meta-llama/Meta-Llama-3-70B config.json: num_hidden_layers 80, num_attention_heads 64,
     * num_key_value_heads 8, hidden_size 8192 (head 128). */
    {"llama3-70b", "Llama 3 70B", "meta-llama/Meta-Llama-3-70B config.json", 80, 0, 1,
     {GLOBAL(80, 64, 8, 128)}, FASV_MTP_NONE, 0, {{0}}},
    /* meta-llama/Llama-3.2-1B config.json: num_hidden_layers 16, num_attention_heads 32,
     * num_key_value_heads 8, head_dim 64. A common draft model for Llama 3. */
    {"llama3.2-1b", "Llama 3.2 1B", "meta-llama/Llama-3.2-1B config.json", 16, 0, 1,
     {GLOBAL(16, 32, 8, 64)}, FASV_MTP_NONE, 0, {{0}}},
    /* Qwen/Qwen3-8B config.json: num_hidden_layers 36, num_attention_heads 32,
     * num_key_value_heads 8, head_dim 128. */
    {"qwen3-8b", "Qwen3 8B", "Qwen/Qwen3-8B config.json", 36, 0, 1,
     {GLOBAL(36, 32, 8, 128)}, FASV_MTP_NONE, 0, {{0}}},
    /* Qwen/Qwen3-30B-A3B config.json: num_hidden_layers 48, num_attention_heads 32,
     * num_key_value_heads 4, head_dim 128 (GQA 8). */
    {"qwen3-30b-a3b", "Qwen3 30B-A3B", "Qwen/Qwen3-30B-A3B config.json", 48, 0, 1,
     {GLOBAL(48, 32, 4, 128)}, FASV_MTP_NONE, 0, {{0}}},
    /* google/gemma-2-9b config.json: num_hidden_layers 42, num_attention_heads 16,
     * num_key_value_heads 8, head_dim 256, sliding_window 4096, attn_logit_softcapping 50.0,
     * query_pre_attn_scalar 256; llama.cpp: sliding and global layers alternate (pattern 2). */
    {"gemma2-9b", "Gemma 2 9B", "google/gemma-2-9b config.json", 42, 2, 2,
     {{"global", 21, 0, 16, 8, 256, 256, false, false, 50.0f, 0.0f, 0.0f},
      {"sliding", 21, 4096, 16, 8, 256, 256, false, false, 50.0f, 0.0f, 0.0f}},
     FASV_MTP_NONE, 0, {{0}}},
    /* google/gemma-2-27b config.json: num_hidden_layers 46, num_attention_heads 32,
     * num_key_value_heads 16, head_dim 128, query_pre_attn_scalar 144 (scale 1/12),
     * sliding_window 4096, attn_logit_softcapping 50.0; pattern 2. */
    {"gemma2-27b", "Gemma 2 27B", "google/gemma-2-27b config.json", 46, 2, 2,
     {{"global", 23, 0, 32, 16, 128, 128, false, false, 50.0f, 0.0f, 1.0f / 12.0f},
      {"sliding", 23, 4096, 32, 16, 128, 128, false, false, 50.0f, 0.0f, 1.0f / 12.0f}},
     FASV_MTP_NONE, 0, {{0}}},
    /* google/gemma-3-12b-it config.json (text_config): num_hidden_layers 48, num_attention_heads 16,
     * num_key_value_heads 8, head_dim 256, sliding_window 1024, sliding_window_pattern 6
     * (five sliding layers, then one global); no attention softcap. */
    {"gemma3-12b", "Gemma 3 12B", "google/gemma-3-12b-it config.json (text_config)", 48, 6, 2,
     {{"global", 8, 0, 16, 8, 256, 256, false, false, 0.0f, 0.0f, 0.0f},
      {"sliding", 40, 1024, 16, 8, 256, 256, false, false, 0.0f, 0.0f, 0.0f}},
     FASV_MTP_NONE, 0, {{0}}},
    /* google/gemma-3-27b-it config.json (text_config): num_hidden_layers 62, num_attention_heads 32,
     * num_key_value_heads 16, head_dim 128, query_pre_attn_scalar 168, sliding_window 1024,
     * pattern 6 (layers 5, 11, ..., 59 global: 10 global, 52 sliding). */
    {"gemma3-27b", "Gemma 3 27B", "google/gemma-3-27b-it config.json (text_config)", 62, 6, 2,
     {{"global", 10, 0, 32, 16, 128, 128, false, false, 0.0f, 0.0f, 0.07715167f},
      {"sliding", 52, 1024, 32, 16, 128, 128, false, false, 0.0f, 0.0f, 0.07715167f}},
     FASV_MTP_NONE, 0, {{0}}},
    /* google/gemma-4-31B-it config.json (text_config): hidden_size 5376, 60 layers,
     * num_attention_heads 32, num_key_value_heads 16, head_dim 256 (sliding layers,
     * sliding_window 1024), global_head_dim 512 with num_global_key_value_heads 4 and
     * attention_k_eq_v true (global layers use K as V), layer_types five sliding then one
     * full attention; final_logit_softcapping 30 acts on the output logits, not attention.
     * Its MTP draft head (the Gemma 4 "assistant", per Modular MAX's Gemma4AssistantConfig):
     * 4 layers, 32 query heads, 16 / 4 KV heads, head sizes 256 / 512, no K/V projections
     * of its own (num_kv_shared_layers 4): it attends to the target's KV cache. The split of
     * its 4 layers into 3 sliding + 1 global is an assumption; only the kinds matter here. */
    {"gemma4-31b", "Gemma 4 31B", "google/gemma-4-31B-it config.json; Gemma4AssistantConfig", 60, 6, 2,
     {{"global", 10, 0, 32, 4, 512, 512, true, false, 0.0f, 0.0f, 0.0f},
      {"sliding", 50, 1024, 32, 16, 256, 256, false, false, 0.0f, 0.0f, 0.0f}},
     FASV_MTP_TARGET, 2,
     {{"global", 1, 0, 32, 4, 512, 512, true, false, 0.0f, 0.0f, 0.0f},
      {"sliding", 3, 1024, 32, 16, 256, 256, false, false, 0.0f, 0.0f, 0.0f}}},
    /* deepseek-ai/DeepSeek-V3 config.json: num_hidden_layers 61, num_attention_heads 128,
     * kv_lora_rank 512, qk_rope_head_dim 64, num_nextn_predict_layers 1 (an MTP layer with
     * its own attention and cache). MLA: Dk 576, Dv 512, one latent KV head. */
    {"deepseek-v3", "DeepSeek-V3", "deepseek-ai/DeepSeek-V3 config.json", 61, 0, 1,
     {{"global", 61, 0, 128, 1, 576, 512, true, false, 0.0f, 0.0f, 0.0f}},
     FASV_MTP_OWN, 1,
     {{"global", 1, 0, 128, 1, 576, 512, true, false, 0.0f, 0.0f, 0.0f}}},
    /* zai-org/GLM-4.7-Flash config.json (glm4_moe_lite): num_hidden_layers 47,
     * num_attention_heads 20, kv_lora_rank 512, qk_rope_head_dim 64,
     * num_nextn_predict_layers 1. MLA 576/512 with a GQA ratio of 20. */
    {"glm-4.7-flash", "GLM-4.7-Flash", "zai-org/GLM-4.7-Flash config.json", 47, 0, 1,
     {{"global", 47, 0, 20, 1, 576, 512, true, false, 0.0f, 0.0f, 0.0f}},
     FASV_MTP_OWN, 1,
     {{"global", 1, 0, 20, 1, 576, 512, true, false, 0.0f, 0.0f, 0.0f}}},
    /* Mistral Small 4 (model_type mistral4; NVIDIA NeMo AutoModel's Mistral4Config):
     * num_hidden_layers 36, num_attention_heads 32, kv_lora_rank 256, qk_rope_head_dim 64.
     * MLA: Dk 320, Dv 256, one latent KV head. */
    {"mistral-small-4", "Mistral Small 4", "Mistral4Config (mistral4)", 36, 0, 1,
     {{"global", 36, 0, 32, 1, 320, 256, true, false, 0.0f, 0.0f, 0.0f}},
     FASV_MTP_NONE, 0, {{0}}},
    /* deepseek-ai/DeepSeek-V2-Lite config.json: num_hidden_layers 27, num_attention_heads 16,
     * qk_nope_head_dim 128 + qk_rope_head_dim 64 = 192, v_head_dim 128. Run without the
     * absorbed MLA path (GGUFs converted before it) every head keeps its own K and V:
     * Dk 192, Dv 128, 16 KV heads. */
    {"deepseek-v2-lite", "DeepSeek-V2-Lite (192/128 heads)", "deepseek-ai/DeepSeek-V2-Lite config.json", 27, 0, 1,
     {{"global", 27, 0, 16, 16, 192, 128, false, false, 0.0f, 0.0f, 0.0f}},
     FASV_MTP_NONE, 0, {{0}}},
    /* openai/gpt-oss-20b config.json: num_hidden_layers 24, num_attention_heads 64,
     * num_key_value_heads 8, head_dim 64, sliding_window 128, layer_types alternating
     * sliding / full attention, learned attention sinks per head. */
    {"gpt-oss-20b", "gpt-oss 20B", "openai/gpt-oss-20b config.json", 24, 2, 2,
     {{"global", 12, 0, 64, 8, 64, 64, false, true, 0.0f, 0.0f, 0.0f},
      {"sliding", 12, 128, 64, 8, 64, 64, false, true, 0.0f, 0.0f, 0.0f}},
     FASV_MTP_NONE, 0, {{0}}},
    /* openai/gpt-oss-120b config.json: num_hidden_layers 36, otherwise as gpt-oss-20b. */
    {"gpt-oss-120b", "gpt-oss 120B", "openai/gpt-oss-120b config.json", 36, 2, 2,
     {{"global", 18, 0, 64, 8, 64, 64, false, true, 0.0f, 0.0f, 0.0f},
      {"sliding", 18, 128, 64, 8, 64, 64, false, true, 0.0f, 0.0f, 0.0f}},
     FASV_MTP_NONE, 0, {{0}}},
    /* mosaicml/mpt-7b config.json: n_layers 32, n_heads 32, d_model 4096 (head 128),
     * attn_config.alibi true, alibi_bias_max 8. ALiBi: max_bias 8 with a mask. */
    {"mpt-7b", "MPT 7B (ALiBi)", "mosaicml/mpt-7b config.json", 32, 0, 1,
     {{"global", 32, 0, 32, 32, 128, 128, false, false, 0.0f, 8.0f, 0.0f}},
     FASV_MTP_NONE, 0, {{0}}},
    /* baichuan-inc/Baichuan-13B-Base config.json: num_hidden_layers 40,
     * num_attention_heads 40, hidden_size 5120 (head 128); ALiBi positions (llama.cpp:
     * max_bias 8). 40 heads is not a power of two: both ALiBi slope series are used. */
    {"baichuan-13b", "Baichuan 13B (ALiBi)", "baichuan-inc/Baichuan-13B-Base config.json", 40, 0, 1,
     {{"global", 40, 0, 40, 40, 128, 128, false, false, 0.0f, 8.0f, 0.0f}},
     FASV_MTP_NONE, 0, {{0}}},
};

const fasv_model *fasv_models(int *count) {
    if (count) *count = (int)(sizeof k_models / sizeof k_models[0]);
    return k_models;
}

const fasv_model *fasv_model_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof k_models / sizeof k_models[0]; i++)
        if (strcmp(k_models[i].name, name) == 0) return &k_models[i];
    return NULL;
}
