# walkthrough.gdb - two generation steps of argen in gdb, stopping at each stage.
#
#   make walkthrough           (MODEL=data/tiny PROMPT="Once upon a time there was a little" SEED=42)
#   gdb -q -x tools/gdb/walkthrough.gdb build/debug/argen            (from the repository root)
#   gdb -q -batch -x tools/gdb/walkthrough.gdb build/debug/argen     (everything in one go)
#
# The run is `argen generate --max-new-tokens 2 --strategy top-k --top-k 40`
# with a JSON trace, so every number printed here can be found in the trace
# (docs/debugging.md says where).  The default prompt ends at a real branch
# point of the shipped model (cat 28 %, dog 25 %, bird 24 %, fox 15 %), and
# the second step forwards only the new token, its keys and values joining
# the ones the KV cache kept.  The environment picks the run:
#   ARGEN_MODEL   model folder (default data/tiny)
#   ARGEN_PROMPT  prompt text (default "Once upon a time there was a little")
#   ARGEN_SEED    PCG32 seed (default 42)
#   ARGEN_TRACE   where the trace goes (default /tmp/argen-walkthrough.json)
#   ARGEN_PAUSE   1: wait for Enter after each stage, 0: never (default: when on a terminal)
# Arguments given with `gdb --args build/debug/argen generate ...` are used as they are.
#
# Stages (one breakpoint each; the selection is reached with `finish`
# because the softmax runs inside it):
#   1 forward_new_tokens   the forward pass over the tokens the KV cache lacks
#   2 project_to_logits    the final position's hidden state -> logits [V]
#   3 softmax_shifted      softmax(logits / T) -> probabilities [V], inside sampler_select
#                          (softmax_shifted keeps max and log sum apart for the trace;
#                          softmax is max + its result).  Attention reaches the same
#                          function through softmax (core/kernels.h), so its
#                          breakpoint is set only once sampler_select is reached; the
#                          entropy (nats) comes back through a pointer into
#                          sel->entropy_nats and prints in bits
#   4 (finish)             the selection: sort, top-k, the draw, the token
#   5 append_token         the token joins the context
#   6-8                    step 1: the forward pass of one token from the cache, its logits,
#                          the token appended

set pagination off
set confirm off
set breakpoint pending off
set print frame-arguments presence
source tools/gdb/argen_gdb.py

python
import os, shlex
if not gdb.parameter("args"):
    model = os.environ.get("ARGEN_MODEL") or "data/tiny"
    if not os.path.isfile(os.path.join(model, "config.json")):
        raise gdb.GdbError("walkthrough: %s has no config.json: run `make tiny-model`, or set ARGEN_MODEL=DIR" % model)
    args = ["generate", "--model", model,
            "--prompt", os.environ.get("ARGEN_PROMPT") or "Once upon a time there was a little",
            "--max-new-tokens", "2", "--strategy", "top-k", "--top-k", "40",
            "--seed", os.environ.get("ARGEN_SEED") or "42",
            "--trace", os.environ.get("ARGEN_TRACE") or "/tmp/argen-walkthrough.json", "--top-n", "10"]
    gdb.execute("set args " + " ".join(shlex.quote(a) for a in args))
print("walkthrough: argen " + gdb.parameter("args"))
end

break forward_new_tokens
break project_to_logits
break append_token
run

argen-stage 1 "the forward pass (step 0)" "forward_new_tokens(g): the tokens the KV cache does not hold yet go through" "embed -> n_layer blocks -> ln_f.  Trace: steps[0].forward"
print *g
finish
argen-last
argen-pause

continue
argen-stage 2 "the final-position logits" "project_to_logits(g): h = lnf_out[T-1] (the last row), logits = h @ wte^T" "Trace: steps[0].forward.final_hidden_norm, steps[0].logits.top"
argen-tensor final_hidden_state(g) g->model->config.n_embd --name final_hidden
finish
argen-logits g->state.logits
argen-pause

tbreak sampler_select
continue
tbreak softmax_shifted
continue
argen-stage 3 "the softmax" "softmax_shifted(probs, x = logits / T, V, &sel->entropy_nats, &max): exp(x - max) / sum, in double; returns log sum (log Z = max + log sum)" "Trace: steps[0].selection.entropy_bits, table[].probability"
argen-tensor x n --name scaled_logits
finish
printf "entropy: %.9g bits\n", sel->entropy_nats / 0.6931471805599453
argen-probs sel
argen-pause

argen-stage 4 "the selection" "sampler_select: sort by logit, keep the top-k, renormalize, pick the slice holding u" "Trace: steps[0].selection (draw, n_kept, table, chosen)"
finish
print g->sel
argen-pause

continue
argen-stage 5 "the append" "append_token(g, token): the context grows by one; the next step forwards only it" "Trace: steps[0].appended"
printf "appended token: %d\n", token
print $argen_tok(token)
finish
print *g
argen-pause

continue
argen-stage 6 "the forward pass (step 1), from the KV cache" "forward_new_tokens(g): only the appended token goes through; attention reads the" "earlier positions' keys and values from the cache.  Trace: steps[1].forward"
finish
argen-last
argen-pause

continue
argen-stage 7 "the logits (step 1)" "project_to_logits(g): the new last position -> logits [V].  Trace: steps[1].logits.top"
finish
argen-logits g->state.logits
argen-pause

continue
argen-stage 8 "the append (step 1)" "append_token(g, token).  Trace: steps[1].appended"
printf "appended token: %d\n", token
print $argen_tok(token)
delete
continue
