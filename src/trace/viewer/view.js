/*
 * view.js - argen view: steps through an argen trace in the browser.
 *
 * The trace is the JSON in <script id="argen-trace">.  Every string of the
 * trace reaches the page through textContent or an SVG text node, never as
 * HTML.  Views (one <section> each, picked by the tabs or the digit keys):
 *   generation traces: Step (token strip + explain this step), What if,
 *   Attention; compare: Strategies; beam: Beam tree; score: Surprisal;
 *   Jacobi: Passes.  Keys: left/right step, space play, 1..9 views.  A
 *   generation trace opens at its most uncertain step, or at the step that
 *   #step=N in the address names.
 *
 * The selection is redone here exactly as src/core/sampler.c does it (float32
 * arithmetic through Math.fround, ties to the lower id), from the logits each
 * step stores in selection.logits_top: see recompute() and docs/viewer.md.
 */
(function () {
    "use strict";

    /* ---- DOM helpers: text only, never innerHTML ---- */

    var SVGNS = "http://www.w3.org/2000/svg";

    function el(tag, attrs, children) {
        var e = document.createElement(tag);
        setAttrs(e, attrs);
        append(e, children);
        return e;
    }

    function sv(tag, attrs, children) {
        var e = document.createElementNS(SVGNS, tag);
        setAttrs(e, attrs);
        append(e, children);
        return e;
    }

    function setAttrs(e, attrs) {
        if (!attrs) return;
        Object.keys(attrs).forEach(function (k) {
            var v = attrs[k];
            if (v === null || v === undefined || v === false) return;
            if (k === "text") e.textContent = String(v);
            else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
            else e.setAttribute(k, String(v));
        });
    }

    function append(e, children) {
        if (children === null || children === undefined) return;
        if (!Array.isArray(children)) children = [children];
        children.forEach(function (c) {
            if (c === null || c === undefined || c === false) return;
            e.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
        });
    }

    function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

    /* A token as the student reads it: newline and tab made visible. */
    function tokText(t) {
        if (t === null || t === undefined) return "\u2205";
        return String(t).replace(/\n/g, "\u21b5").replace(/\t/g, "\u2192").replace(/\r/g, "\u240d");
    }

    function fmtP(p) {
        if (p === null || p === undefined) return "-";
        if (p >= 0.001 || p === 0) return p.toFixed(4);
        return p.toExponential(2);
    }

    function fmt(x, d) { return x === null || x === undefined ? "-" : Number(x).toFixed(d); }
    /* The sampling rules of a run that cut anything: top-k 0, top-p 1 and min-p 0 are off. */
    function rulesOn(o) {
        var on = [];
        if (o.top_k > 0) on.push("top-k = " + o.top_k);
        if (o.top_p < 1) on.push("top-p = " + o.top_p);
        if (o.min_p > 0) on.push("min-p = " + o.min_p);
        return on.length ? on.join(", ") : "no top-k, top-p or min-p cut";
    }
    function samples(strategy) { return strategy !== "greedy" && strategy !== "beam" && strategy !== "jacobi"; }

    /* Probability -> background: white (0) to dark blue (1); text flips to white. */
    function probStyle(p) {
        var l = 96 - 58 * Math.max(0, Math.min(1, p));
        return "background:hsl(212,80%," + l + "%);color:" + (l < 62 ? "#fff" : "#111");
    }

    /* Surprisal in bits -> white (0) to dark red (>= 10 bits). */
    function surprisalStyle(bits) {
        var s = Math.max(0, Math.min(1, bits / 10));
        var l = 97 - 60 * s;
        return "background:hsl(2,85%," + l + "%);color:" + (l < 62 ? "#fff" : "#111");
    }

    var tooltip = null;
    function showTip(ev, text) {
        tooltip.textContent = text;
        tooltip.style.display = "block";
        tooltip.style.left = Math.min(ev.clientX + 16, window.innerWidth - tooltip.offsetWidth - 8) + "px";
        tooltip.style.top = (ev.clientY + 16) + "px";
    }
    function hideTip() { tooltip.style.display = "none"; }

    /* ---- the trace ---- */

    var data = JSON.parse(document.getElementById("argen-trace").textContent);
    var kind = data.format === "argen-compare" ? "compare"
             : data.kind === "score" ? "score"
             : (data.steps && data.steps.length && data.steps[0].block !== undefined) ? "jacobi"
             : (data.steps && data.steps.length && data.steps[0].beams !== undefined) ? "beam"
             : "generate";

    /* ---- the selection, redone as src/core/sampler.c does it ---- */

    var f32 = Math.fround;

    /* settings: {temperature, top_k, top_p, min_p, repetition_penalty, greedy}.
     * Returns the recomputed step: rows (rank order, the listed tokens; rank 1
     * = the most likely, at rows[0]), the three prefix lengths, the chosen
     * row's index (chosen_index: its rank is chosen_index + 1) and whether it
     * is exact. */
    function recompute(step, s) {
        var sel = step.selection, lt = sel.logits_top;
        var K = lt.ids.length, V = K + lt.rest_count;
        var seen = {};
        step.context.ids.forEach(function (id) { seen[id] = true; });
        var R = f32(s.repetition_penalty);
        var greedy = s.greedy || s.temperature <= 0;
        var T = greedy ? 1 : f32(s.temperature);
        var rows = lt.ids.map(function (id, i) {
            var x = f32(lt.logits[i]);
            var pen = R === 1 ? x : !seen[id] ? x : x > 0 ? f32(x / R) : f32(x * R);
            if (id === sel.suppressed) pen = -Infinity;   /* min-new-tokens: end-of-text forbidden */
            return {id: id, logit: x, penalized: pen, scaled: f32(pen / T)};
        });
        rows.sort(function (a, b) { return b.scaled - a.scaled || a.id - b.id; });
        var max = rows[0].scaled;
        /* The run's own normalizer when T and R are the run's; otherwise the
         * listed tokens plus an estimate of the rest (uniform over rest_count). */
        var sameNorm = T === f32(sel.temperature) && R === f32(sel.repetition_penalty);
        var restLogMass = null;            /* log sum exp(scaled - max) of the unlisted tokens */
        if (lt.rest_count > 0 && lt.rest_logsumexp !== null) {
            var lnN = Math.log(lt.rest_count);
            restLogMass = (lt.rest_logsumexp - lnN) / T + lnN - max;
        }
        var logZ;
        if (sameNorm) {
            logZ = lt.log_z;
        } else {
            var sum = 0;
            rows.forEach(function (r) { sum += Math.exp(r.scaled - max); });
            if (restLogMass !== null) sum += Math.exp(restLogMass);
            logZ = Math.log(sum);
        }
        rows.forEach(function (r) { r.p = f32(Math.exp(r.scaled - max - logZ)); });
        var restMass = restLogMass === null ? 0 : Math.exp(restLogMass - logZ);
        var out = {rows: rows, V: V, K: K, greedy: greedy, beyond: false,
                   exact: sameNorm || lt.rest_count === 0};
        if (greedy) {   /* the argmax: no rule cuts, no draw (the trace's n_top_k, n_top_p are V) */
            out.n_top_k = out.n_top_p = V;
            out.n_kept = 1;
            out.kept_mass = rows[0].p;
            out.chosen_index = 0;
            return finish(out, sel.draw);
        }
        /* top-k: keep exactly k (0 or >= V: everything). */
        var n = s.top_k <= 0 || s.top_k >= V ? V : s.top_k;
        out.n_top_k = n;
        /* top-p: the mass before a token still short of p * mass of the prefix. */
        var p = f32(s.top_p);
        if (p < 1) {
            var mass = 0, r;
            for (r = 0; r < Math.min(n, K); r++) mass += rows[r].p;
            if (n > K) { mass += restMass; if (!sameNorm) out.exact = false; }
            var before = 0;
            r = 0;
            while (r < Math.min(n, K) && before < p * mass) before += rows[r++].p;
            if (r === K && n > K && before < p * mass) { out.beyond = true; r = n; }
            n = r > 0 ? r : 1;
        }
        out.n_top_p = n;
        /* min-p: p >= min_p * p_max. */
        var mp = f32(s.min_p);
        if (mp > 0) {
            var threshold = mp * rows[0].p, q = 1;
            while (q < Math.min(n, K) && rows[q].p >= threshold) q++;
            if (q === K && n > K) { out.beyond = true; q = n; }
            n = q;
        }
        out.n_kept = n;
        out.beyond = n > K;
        var km = 0;
        for (var i = 0; i < Math.min(n, K); i++) km += rows[i].p;
        if (n > K) { km += restMass; if (!sameNorm) out.exact = false; }
        out.kept_mass = km;
        var target = f32(runDraw(step)) * km, cum = 0;
        out.chosen_index = -1;
        for (var j = 0; j < Math.min(n, K); j++) {
            cum += rows[j].p;
            if (target < cum) { out.chosen_index = j; break; }
        }
        if (out.chosen_index < 0) out.chosen_index = n > K ? K : n - 1;   /* K: beyond the listed tokens */
        return finish(out, runDraw(step));
    }

    function finish(out, u) {
        var cum = 0;
        out.rows.forEach(function (r, i) {
            r.rank = i + 1;   /* ranks count from 1, as in the trace */
            r.kept = i < out.n_kept;
            r.cut_by = i >= out.n_top_k ? "top-k" : i >= out.n_top_p ? "top-p" : i >= out.n_kept ? (out.greedy ? "argmax" : "min-p") : null;
            r.renormalized = r.kept ? r.p / out.kept_mass : 0;
            if (r.kept) { r.slice = [cum / out.kept_mass, i === out.n_kept - 1 ? 1 : (cum + r.p) / out.kept_mass]; cum += r.p; }
        });
        out.chosen = out.chosen_index < out.rows.length ? out.rows[out.chosen_index] : null;
        out.draw = u;
        return out;
    }

    function runSettings(step) {
        var sel = step.selection;
        var greedy = sel.strategy === "greedy" || sel.strategy === "beam" || sel.strategy === "jacobi" || sel.draw === null;
        return {temperature: greedy ? 0 : sel.temperature, top_k: sel.top_k, top_p: sel.top_p, min_p: sel.min_p,
                repetition_penalty: sel.repetition_penalty, greedy: greedy};
    }

    /* Every step redone with the run's own settings: the list of disagreements
     * with the C sampler (empty when the page agrees at every step). */
    function verifyAll() {
        var bad = [];
        if (kind !== "generate") return bad;
        data.steps.forEach(function (step, i) {
            var sel = step.selection;
            if (!sel.logits_top) { bad.push("step " + i + ": no logits_top"); return; }
            var out = recompute(step, runSettings(step));
            var got = {n_top_k: out.n_top_k, n_top_p: out.n_top_p, n_kept: out.n_kept,
                       chosen: out.chosen ? out.chosen.id : null};
            var want = {n_top_k: sel.n_top_k, n_top_p: sel.n_top_p, n_kept: sel.n_kept, chosen: sel.chosen.id};
            Object.keys(want).forEach(function (k) {
                if (got[k] !== want[k]) bad.push("step " + i + ": " + k + " " + got[k] + " (trace " + want[k] + ")");
            });
            sel.table.forEach(function (row) {
                if (row.cut_by === "min-new-tokens" && row.rank > out.rows.length) return;   /* beyond logits_top */
                var r = out.rows[row.rank - 1];   /* rank 1 is rows[0] */
                if (!r || r.id !== row.id || r.p !== f32(row.probability) || r.kept !== !row.cut_by)
                    bad.push("step " + i + ": rank " + row.rank + " differs");
            });
        });
        return bad;
    }

    /* ---- page skeleton: header, tabs, one section per view ---- */

    var views = [];          /* {id, title, section, render} */
    var state = {step: 0, view: null, playing: null};

    function addView(id, title, render) {
        var section = el("section", {"class": "view", id: "view-" + id, "data-view": id});
        views.push({id: id, title: title, section: section, render: render});
    }

    function showView(id) {
        views.forEach(function (v) {
            var on = v.id === id;
            v.section.classList.toggle("active", on);
            v.button.setAttribute("aria-selected", on ? "true" : "false");
        });
        state.view = id;
        renderAll();
    }

    /* Only the view on screen is drawn (a long run's attention grid is
     * costly); printing draws them all. */
    function renderAll() {
        views.forEach(function (v) { if (v.id === state.view) v.render(v.section); });
    }

    window.addEventListener("beforeprint", function () {
        views.forEach(function (v) { v.render(v.section); });
    });

    function header() {
        var title, facts;
        if (kind === "compare") {
            title = "argen compare: " + data.strategies.length + " strategies";
            facts = "prompt \u201c" + (data.prompt_text || "") + "\u201d, seed " + data.seed +
                    (data.shared_draws ? ", shared draws" : "");
        } else if (kind === "score") {
            title = "argen score: teacher forcing over " + data.tokens.length + " tokens";
            facts = "model " + data.model.dir + ", mean surprisal " + fmt(data.summary.mean_surprisal_bits, 2) +
                    " bits/token, perplexity " + fmt(data.summary.perplexity, 2);
        } else {
            var st = data.settings;
            title = "argen generate: " + st.strategy + (kind === "generate" ? "" : " (" + kind + ")");
            facts = "model " + data.model.dir + " (vocabulary " + data.model.config.vocab_size + "), T = " +
                    st.temperature + (samples(st.strategy) ? ", " + rulesOn(st) : "") +
                    ", seed " + data.seed + ", " + data.level + " trace, stop: " + data.result.stop_reason;
        }
        var nav = el("nav", {role: "tablist"});
        views.forEach(function (v, i) {
            v.button = el("button", {role: "tab", "data-tab": v.id, onclick: function () { showView(v.id); }},
                          [v.title, el("span", {"class": "key", text: "[" + (i + 1) + "]"})]);
            nav.appendChild(v.button);
        });
        var opened = kind === "generate" && data.steps.length ? el("p", {"class": "opened", id: "opened", text: openingStep().why}) : null;
        return el("header", null, [el("h1", {text: title}), el("p", {"class": "summary", text: facts}), opened, nav]);
    }

    /* ---- stepping (generation traces) ---- */

    function nSteps() { return kind === "generate" ? data.steps.length : 0; }

    function setStep(i) {
        var n = nSteps();
        if (!n) return;
        state.step = Math.max(0, Math.min(n - 1, i));
        rememberStep();
        renderAll();
    }

    /* The step with the highest entropy: the most uncertain choice of the
     * run, where the sampler's settings matter most (the first of equals, as
     * render_branch_step in src/trace/render.c picks for --step branch). */
    function mostUncertainStep() {
        var best = 0;
        data.steps.forEach(function (s, i) {
            if (s.selection.entropy_bits > data.steps[best].selection.entropy_bits) best = i;
        });
        return best;
    }

    /* #step=N in the address: that step, or null (no such fragment, or N is
     * not a step of this run). */
    function stepFromUrl() {
        var m = /^#step=(\d+)$/.exec(window.location.hash);
        if (!m) return null;
        var i = Number(m[1]);
        return i < nSteps() ? i : null;
    }

    /* The address follows the step, so a reload or a copied link opens it. */
    function rememberStep() {
        if (stepFromUrl() === state.step) return;
        try { history.replaceState(null, "", "#step=" + state.step); } catch (e) { /* some file:// pages refuse; the step still moves */ }
    }

    /* Where the page opens, and the header's line saying why. */
    function openingStep() {
        var fromUrl = stepFromUrl();
        if (fromUrl !== null) return {step: fromUrl, why: "opened at step " + fromUrl + " (#step=" + fromUrl + " in the address); \u2190 \u2192 to move"};
        var best = mostUncertainStep();
        return {step: best, why: "opened at the most uncertain step (step " + best + ", entropy " +
                fmt(data.steps[best].selection.entropy_bits, 2) + " bits); \u2190 \u2192 to move"};
    }

    function togglePlay() {
        if (state.playing) { clearInterval(state.playing); state.playing = null; renderAll(); return; }
        if (state.step >= nSteps() - 1) state.step = 0;
        state.playing = setInterval(function () {
            if (state.step >= nSteps() - 1) { togglePlay(); return; }
            setStep(state.step + 1);
        }, 900);
        renderAll();
    }

    function stepControls() {
        var n = nSteps();
        return el("div", {"class": "controls"}, [
            el("button", {"class": "prev", title: "previous step (\u2190)", text: "\u2190 prev",
                          onclick: function () { setStep(state.step - 1); }}),
            el("button", {"class": "play", title: "play the run (space)", text: state.playing ? "\u275a\u275a pause" : "\u25b6 play",
                          onclick: togglePlay}),
            el("button", {"class": "next", title: "next step (\u2192)", text: "next \u2192",
                          onclick: function () { setStep(state.step + 1); }}),
            el("span", {"class": "stepno", id: "step-number", text: "step " + state.step + " / " + (n - 1)})
        ]);
    }

    /* The run as a strip: the prompt in grey, each generated token coloured by
     * the probability it had when chosen; later tokens faded. */
    function tokenStrip() {
        var strip = el("div", {"class": "strip", id: "strip"});
        data.prompt.tokens.forEach(function (t, i) {
            strip.appendChild(el("span", {"class": "tok prompt", title: "prompt token, id " + data.prompt.ids[i], text: tokText(t)}));
        });
        data.steps.forEach(function (step, i) {
            var p = step.selection.chosen.probability;
            var cls = "tok gen" + (i === state.step ? " current" : "") + (i > state.step ? " future" : "");
            strip.appendChild(el("span", {
                "class": cls, "data-step": i, style: probStyle(p),
                title: "step " + i + ": id " + step.appended.id + ", p = " + fmtP(p),
                text: tokText(step.appended.token), onclick: function () { setStep(i); }
            }));
        });
        var legend = el("div", {"class": "legend"}, [
            "colour: probability of the chosen token  0",
            el("span", {"class": "ramp", style: "background:linear-gradient(90deg,hsl(212,80%,96%),hsl(212,80%,38%))"}),
            "1"
        ]);
        return el("div", null, [strip, legend]);
    }

    /* ---- bars with cut lines, and the [0, 1) strip ---- */

    var CUT_COLOURS = {"top-k": "#7c3aed", "top-p": "#c2410c", "min-p": "#047857"};

    /* rows: rank order, each {rank, id, token, logit, p, cut_by, kept, renormalized, slice};
     * cuts: {"top-k": n, ...} prefix lengths; chosenId. */
    function barChart(rows, cuts, chosenId, pLabel) {
        var W = 1250, rowH = 34, top = 34, labelW = 230, barX = labelW + 10, barW = 520;
        var H = top + rows.length * rowH + 12;
        var svg = sv("svg", {viewBox: "0 0 " + W + " " + H, width: W, height: H, "class": "bars", role: "img"});
        svg.appendChild(sv("text", {x: 0, y: 22, "font-weight": "bold", text: "token"}));
        svg.appendChild(sv("text", {x: barX, y: 22, "font-weight": "bold", text: pLabel}));
        svg.appendChild(sv("text", {x: barX + barW + 150, y: 22, "font-weight": "bold", text: "raw logit"}));
        rows.forEach(function (r, i) {
            var y = top + i * rowH;
            var g = sv("g", {"class": "bar" + (r.kept ? " kept" : " cut"), "data-id": r.id});
            g.appendChild(sv("title", {text: "rank " + r.rank + ", id " + r.id + ", logit " + fmt(r.logit, 3) +
                                              ", p " + fmtP(r.p) + (r.kept ? ", renormalized " + fmtP(r.renormalized) : ", cut by " + r.cut_by)}));
            var label = tokText(r.token);
            if (/^ +$/.test(label)) label = label.replace(/ /g, "\u2423");   /* SVG text would show a lone space as nothing */
            g.appendChild(sv("text", {x: labelW, y: y + 23, "text-anchor": "end", "class": "mono",
                                      "font-weight": r.id === chosenId ? "bold" : null,
                                      fill: r.id === chosenId ? "#c2410c" : null, text: label}));
            g.appendChild(sv("rect", {x: barX, y: y + 5, width: Math.max(1, barW * r.p), height: rowH - 10,
                                      fill: r.kept ? "#0b4f9c" : "#b8b8b8",
                                      stroke: r.id === chosenId ? "#c2410c" : "none", "stroke-width": 4}));
            g.appendChild(sv("text", {x: barX + barW + 10, y: y + 23, "class": "mono", text: fmtP(r.p)}));
            g.appendChild(sv("text", {x: barX + barW + 150, y: y + 23, "class": "mono", text: fmt(r.logit, 2)}));
            svg.appendChild(g);
        });
        /* The rules apply in turn (top-k, top-p, min-p), each to what the one
         * before kept: a rule gets a line only where it cut something more,
         * so no two lines or labels fall on the same rank. */
        var before = Infinity;
        Object.keys(cuts).forEach(function (name) {
            var n = cuts[name];
            if (n === null || n === undefined || n <= 0) return;
            var cutMore = n < before;
            before = Math.min(before, n);
            if (!cutMore || n >= rows.length) return;
            var y = top + n * rowH;
            svg.appendChild(sv("line", {x1: 0, x2: W - 10, y1: y, y2: y, stroke: CUT_COLOURS[name], "stroke-width": 4,
                                        "stroke-dasharray": "12 6", "class": "cut-line", "data-cut": name}));
            svg.appendChild(sv("text", {x: W - 10, y: y - 6, "text-anchor": "end", fill: CUT_COLOURS[name],
                                        "font-weight": "bold", text: name + " cut: keeps " + n}));
        });
        return svg;
    }

    function cutNotes(rows, cuts, V) {
        var notes = [];
        Object.keys(cuts).forEach(function (name) {
            var n = cuts[name];
            if (n >= rows.length) notes.push(name + " keeps " + n + (n === V ? " (all " + V + ": no cut)" : " tokens: its line is below the last bar shown"));
        });
        return el("p", {"class": "note", text: notes.join("; ")});
    }

    /* The kept tokens as slices of [0, 1) and the draw u landing in one. */
    function drawStrip(rows, u, chosenId, greedy, nKept) {
        var W = 1100, H = 110, x0 = 10, w = W - 20;
        var svg = sv("svg", {viewBox: "0 0 " + W + " " + H, width: W, height: H, "class": "draw-strip", role: "img"});
        var palette = ["#0b4f9c", "#3b82f6", "#1e3a8a", "#60a5fa"];
        var last = 0, ux = greedy ? null : x0 + w * u;
        rows.forEach(function (r, i) {
            if (!r.slice) return;
            var a = x0 + w * r.slice[0], b = x0 + w * r.slice[1];
            last = Math.max(last, r.slice[1]);
            var g = sv("g", {"class": "slice", "data-id": r.id});
            g.appendChild(sv("title", {text: tokText(r.token) + ": [" + r.slice[0].toFixed(4) + ", " + r.slice[1].toFixed(4) + ")"}));
            g.appendChild(sv("rect", {x: a, y: 30, width: Math.max(0.5, b - a), height: 40,
                                      fill: r.id === chosenId ? "#c2410c" : palette[i % palette.length], stroke: "#fff"}));
            /* The label in the middle of its slice, or of the wider side of the
             * draw's line when the line would cross it. */
            var label = tokText(r.token), half = 6 + 5.5 * label.length, mid = (a + b) / 2;
            if (ux !== null && Math.abs(mid - ux) < half) mid = ux - a > b - ux ? (a + ux) / 2 : (ux + b) / 2;
            if (b - a > 70) g.appendChild(sv("text", {x: mid, y: 57, "text-anchor": "middle", fill: "#fff", "class": "mono", text: label}));
            svg.appendChild(g);
        });
        if (last < 1) {
            svg.appendChild(sv("rect", {x: x0 + w * last, y: 30, width: w * (1 - last), height: 40, fill: "#94a3b8"}));
            if (w * (1 - last) > 120) svg.appendChild(sv("text", {x: x0 + w * (last + 1) / 2, y: 57, "text-anchor": "middle", text: "other kept tokens"}));
        }
        svg.appendChild(sv("text", {x: x0, y: 95, text: "0"}));
        svg.appendChild(sv("text", {x: x0 + w, y: 95, "text-anchor": "end", text: "1"}));
        if (!greedy) {
            svg.appendChild(sv("line", {x1: ux, x2: ux, y1: 22, y2: 78, stroke: "#111", "stroke-width": 4, "class": "draw-u"}));
            svg.appendChild(sv("text", {x: ux, y: 18, "text-anchor": ux > W - 150 ? "end" : ux < 150 ? "start" : "middle", "font-weight": "bold",
                                        text: "draw u = " + u.toFixed(4)}));
        } else {
            svg.appendChild(sv("text", {x: W / 2, y: 18, "text-anchor": "middle", text: "greedy: no draw, the top token is taken (" + nKept + " kept)"}));
        }
        return svg;
    }

    /* ---- view: Step (strip + explain this step) ---- */

    function renderStep(sec) {
        clear(sec);
        var step = data.steps[state.step], sel = step.selection;
        var greedy = runSettings(step).greedy;
        sec.appendChild(stepControls());
        sec.appendChild(tokenStrip());
        sec.appendChild(el("h2", {text: "Explain step " + state.step + ": the token at position " + step.position}));
        var rows = sel.table.map(function (r) {
            return {rank: r.rank, id: r.id, token: r.token, logit: r.logit, p: r.probability, cut_by: r.cut_by,
                    kept: !r.cut_by, renormalized: r.renormalized, slice: r.slice};
        });
        var cuts = greedy ? {} : {"top-k": sel.n_top_k, "top-p": sel.n_top_p, "min-p": sel.n_kept};
        var ctx = step.context.tokens.map(tokText).join("");
        var flow = el("div", {"class": "flow"}, [
            el("div", {"class": "stage"}, [el("span", {"class": "label", text: "1. context "}),
                el("span", {"class": "muted", text: "(" + step.context.ids.length + " tokens): "}), el("span", {"class": "mono", text: ctx})]),
            el("div", {"class": "stage"}, [el("span", {"class": "label", text: "2. the model \u2192 logits at the last position"}),
                el("span", {"class": "muted", text: " (one score per vocabulary token; top " + rows.length + " shown)"})]),
            el("div", {"class": "stage"}, [
                el("span", {"class": "label", text: "3. softmax at temperature T = " + sel.temperature}),
                el("span", {"class": "muted", text: greedy ? " (greedy: T is not applied)" :
                    ", then the cut lines: " + rulesOn(sel)}),
                barChart(rows, cuts, sel.chosen.id, "probability after temperature"),
                cutNotes(rows, cuts, data.model.config.vocab_size),
                el("div", {"class": "facts"}, [
                    el("span", null, ["entropy ", el("b", {text: fmt(sel.entropy_bits, 3)}), " bits"]),
                    el("span", null, ["effective candidates ", el("b", {text: fmt(sel.effective_candidates, 2)})]),
                    el("span", null, ["kept ", el("b", {text: sel.n_kept}), sel.n_kept === 1 ? " token holding " : " tokens holding ", el("b", {text: fmtP(sel.kept_mass)}), " of the probability"])
                ])]),
            el("div", {"class": "stage"}, [el("span", {"class": "label", text: "4. the kept tokens share [0, 1) by renormalized probability"}),
                drawStrip(rows, sel.draw, sel.chosen.id, greedy, sel.n_kept)]),
            el("div", {"class": "stage"}, [el("span", {"class": "label", text: "5. appended: "}),
                el("span", {"class": "tok", style: probStyle(sel.chosen.probability), id: "appended", text: tokText(step.appended.token)}),
                el("span", {"class": "muted", text: "  id " + step.appended.id + ", rank " + sel.chosen.rank + ", p = " +
                    fmtP(sel.chosen.probability) + " (" + fmt(-Math.log2(sel.chosen.probability), 2) + " bits of surprisal), renormalized " + fmtP(sel.chosen.renormalized)})])
        ]);
        sec.appendChild(flow);
    }

    /* ---- view: What if ---- */

    var whatIf = null;   /* slider settings; null: the run's own */

    function renderWhatIf(sec) {
        clear(sec);
        var step = data.steps[state.step];
        sec.appendChild(stepControls());
        sec.appendChild(el("h2", {text: "What if: the same logits and the same draw, other settings"}));
        if (!step.selection.logits_top) {
            sec.appendChild(el("p", {text: "This trace predates selection.logits_top: regenerate it with this argen to use the sliders."}));
            return;
        }
        var run = runSettings(step);
        var s = whatIf || run;
        var K = step.selection.logits_top.ids.length;
        var grid = el("div", {"class": "sliders"});
        function slider(name, label, min, max, stepv, value, show) {
            var out = el("output", {id: "out-" + name, text: show(value)});
            var input = el("input", {type: "range", id: "slider-" + name, name: name, min: min, max: max, step: stepv, value: value,
                "aria-label": label,
                oninput: function () {
                    var v = Number(input.value);
                    whatIf = Object.assign({}, s);
                    whatIf[name] = v;
                    whatIf.greedy = false;
                    renderAll();
                    var again = document.getElementById("slider-" + name);
                    if (again) again.focus();
                }});
            grid.appendChild(el("label", {"for": "slider-" + name, text: label}));
            grid.appendChild(input);
            grid.appendChild(out);
        }
        var T0 = s.greedy ? 0 : s.temperature;
        slider("temperature", "temperature T (0 = greedy)", 0, 2.5, 0.05, T0, function (v) { return v <= 0 ? "greedy" : String(v); });
        slider("top_k", "top-k (0 = off)", 0, K, 1, s.top_k, function (v) { return v <= 0 ? "off" : String(v); });
        slider("top_p", "top-p (1 = off)", 0.01, 1, 0.01, s.top_p, function (v) { return v >= 1 ? "off" : String(v); });
        slider("min_p", "min-p (0 = off)", 0, 1, 0.01, s.min_p, function (v) { return v <= 0 ? "off" : String(v); });
        sec.appendChild(grid);
        sec.appendChild(el("div", {"class": "controls"}, [el("button", {id: "reset-whatif", text: "reset to the run's settings",
            onclick: function () { whatIf = null; renderAll(); }})]));
        var settings = Object.assign({}, s);
        if (settings.temperature <= 0) settings.greedy = true;
        var out = recompute(step, settings);
        var u = runDraw(step);
        var shown = Math.min(out.rows.length, Math.max(12, Math.min(out.n_kept + 3, 24)));
        var rows = out.rows.slice(0, shown).map(function (r) {
            var tokIndex = step.selection.logits_top.ids.indexOf(r.id);
            return Object.assign({token: tokenOf(step, r.id, tokIndex)}, r);
        });
        var chosenId = out.chosen ? out.chosen.id : null;
        var same = chosenId === step.selection.chosen.id;
        sec.appendChild(el("p", {"class": "verdict", id: "whatif-verdict"}, [
            "kept ", el("b", {id: "whatif-kept", text: out.beyond ? "more than " + K : String(out.n_kept)}), (out.n_kept === 1 ? " token" : " tokens") + (step.selection.draw === null ? "; the greedy run drew nothing, so u = " : "; the same draw u = ") +
            u.toFixed(4) + " picks ",
            el("span", {"class": "tok", style: "border:2px solid #c2410c", id: "whatif-choice",
                        text: out.chosen ? tokText(rows[out.chosen_index] ? rows[out.chosen_index].token : tokenOf(step, chosenId, -1)) : "a token beyond rank " + K}),
            same ? " \u2014 the run's own choice" : " \u2014 the run picked ",
            same ? null : el("span", {"class": "tok", text: tokText(step.selection.chosen.token)})
        ]));
        sec.appendChild(el("p", {"class": out.exact ? "exact" : "approx", id: "whatif-exact",
            text: out.exact ? "Exact: the same numbers the C sampler would compute." :
                "Approximate: with T or the penalty changed and top-k off (or above " + K + "), the mass of the " +
                step.selection.logits_top.rest_count + " unlisted tokens is estimated."}));
        var cuts = out.greedy ? {} : {"top-k": out.n_top_k, "top-p": out.n_top_p, "min-p": out.n_kept};
        sec.appendChild(barChart(rows, cuts, chosenId, "probability at T = " + (out.greedy ? "1 (greedy)" : settings.temperature)));
        sec.appendChild(cutNotes(rows, cuts, out.V));
        sec.appendChild(drawStrip(rows, u, chosenId, out.greedy, out.n_kept));
    }

    /* The step's draw; an argmax step (greedy) records none, and what-if sampling uses u = 0.5. */
    function runDraw(step) { return step.selection.draw === null ? 0.5 : step.selection.draw; }

    /* A listed token's text: from the table, the logits top list, or the context. */
    function tokenOf(step, id) {
        var sel = step.selection, lt = sel.logits_top;
        if (lt && lt.tokens) { var k = lt.ids.indexOf(id); if (k >= 0) return lt.tokens[k]; }
        for (var i = 0; i < sel.table.length; i++) if (sel.table[i].id === id) return sel.table[i].token;
        if (step.logits && step.logits.top) for (var j = 0; j < step.logits.top.length; j++) if (step.logits.top[j].id === id) return step.logits.top[j].token;
        var c = step.context.ids.indexOf(id);
        if (c >= 0) return step.context.tokens[c];
        if (data.vocab && data.vocab[id] !== undefined) return data.vocab[id];
        return "#" + id;
    }

    /* ---- view: Attention ---- */

    var att = {layer: 0, head: 0};

    /* The [query][key] matrix of one layer and head built from every step's
     * rows; null where the trace has no row for that query. */
    function attentionMatrix(layer, head) {
        var n = data.steps[data.steps.length - 1].forward.key_count;
        var m = [];
        for (var q = 0; q < n; q++) m.push(null);
        var rowStep = [];
        data.steps.forEach(function (step, si) {
            var f = step.forward;
            var L = f.layers[layer];
            if (!L) return;
            f.query_positions.forEach(function (qp, qi) {
                if (qp < n) { m[qp] = L.attention[head][qi]; rowStep[qp] = si; }
            });
        });
        return {n: n, rows: m, rowStep: rowStep};
    }

    function allTokens() {
        var t = data.prompt.tokens.slice();
        data.steps.forEach(function (s) { t.push(s.appended.token); });
        return t;
    }

    function heat(w) {   /* weight in [0, 1] -> white to dark purple */
        var l = 98 - 70 * Math.sqrt(Math.max(0, Math.min(1, w)));
        return "hsl(262,70%," + l + "%)";
    }

    function hslToRgb(h, sat, l) {
        var a = sat * Math.min(l, 1 - l);
        var f = function (n) { var k = (n + h / 30) % 12; return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)))); };
        return [f(0), f(8), f(4)];
    }

    /* Large matrices: one pixel per cell, scaled up by CSS. */
    function drawMatrixPixels(canvas, mat, highlight) {
        var n = mat.n;
        canvas.width = n;
        canvas.height = n;
        var c = canvas.getContext("2d"), img = c.createImageData(n, n), d = img.data;
        for (var q = 0; q < n; q++) {
            var row = mat.rows[q];
            for (var k = 0; k < n; k++) {
                var rgb = k > q ? [107, 114, 128] : !row ? [253, 230, 138]
                        : q === highlight ? [194, 65, 12]
                        : hslToRgb(262, 0.7, (98 - 70 * Math.sqrt(Math.max(0, Math.min(1, row[k] || 0)))) / 100);
                var o = 4 * (q * n + k);
                d[o] = rgb[0]; d[o + 1] = rgb[1]; d[o + 2] = rgb[2]; d[o + 3] = 255;
            }
        }
        c.putImageData(img, 0, 0);
    }

    function drawMatrix(canvas, mat, cell, highlight) {
        var n = mat.n;
        if (n * cell > 1200 || cell < 2) { drawMatrixPixels(canvas, mat, highlight); return; }
        canvas.width = n * cell;
        canvas.height = n * cell;
        var c = canvas.getContext("2d");
        for (var q = 0; q < n; q++) {
            var row = mat.rows[q];
            for (var k = 0; k < n; k++) {
                if (k > q) c.fillStyle = "#6b7280";                 /* the causal mask */
                else if (!row) c.fillStyle = (q + k) % 2 ? "#fde68a" : "#fef3c7";  /* not in the trace */
                else c.fillStyle = heat(row[k] === null || row[k] === undefined ? 0 : row[k]);
                c.fillRect(k * cell, q * cell, cell, cell);
            }
        }
        if (highlight !== null && highlight < n) {
            c.strokeStyle = "#c2410c";
            c.lineWidth = Math.max(2, cell / 6);
            c.strokeRect(1, highlight * cell + 1, n * cell - 2, cell - 2);
        }
    }

    function renderAttention(sec) {
        clear(sec);
        sec.appendChild(stepControls());
        var cfg = data.model.config, step = data.steps[state.step];
        var qNow = step.forward.query_positions[step.forward.query_positions.length - 1];
        sec.appendChild(el("h2", {text: "Attention: layer " + att.layer + ", head " + att.head + " \u2014 query (row) \u00d7 key (column)"}));
        var tokens = allTokens();
        var mat = attentionMatrix(att.layer, att.head);
        var cell = Math.max(1, Math.min(80, Math.floor(640 / mat.n)));
        var side = Math.max(mat.n * cell, 640);
        var big = el("canvas", {"class": "att-big", id: "att-big", "aria-label": "attention matrix",
                                style: "width:" + side + "px;height:" + side + "px"});
        drawMatrix(big, mat, cell, qNow);
        big.addEventListener("mousemove", function (ev) {
            var r = big.getBoundingClientRect();
            var k = Math.floor((ev.clientX - r.left) / (r.width / mat.n)), q = Math.floor((ev.clientY - r.top) / (r.height / mat.n));
            if (q < 0 || k < 0 || q >= mat.n || k >= mat.n) { hideTip(); return; }
            var w = k > q ? "masked (key after the query)" : !mat.rows[q] ? "not in this trace" : fmtP(mat.rows[q][k]);
            showTip(ev, "query " + q + " " + JSON.stringify(String(tokText(tokens[q]))) + "\nkey   " + k + " " +
                    JSON.stringify(String(tokText(tokens[k]))) + "\nweight " + w);
        });
        big.addEventListener("mouseleave", hideTip);
        var missing = mat.rows.filter(function (r) { return !r; }).length;
        var left = el("div", {style: "max-width:" + side + "px"}, [big,   /* the notes wrap under the matrix: the grid fits beside it */
            el("div", {"class": "legend"}, [   /* each key with its swatch, so a wrapped legend keeps them together */
                el("span", null, ["weight 0 ", el("span", {"class": "ramp", style: "display:inline-block;vertical-align:middle;background:linear-gradient(90deg," + heat(0) + "," + heat(0.25) + "," + heat(1) + ")"}), " 1"]),
                el("span", null, [el("span", {style: "background:#6b7280;width:1.2rem;height:1rem;display:inline-block;vertical-align:middle"}), " causal mask"]),
                el("span", null, [el("span", {style: "background:#fde68a;width:1.2rem;height:1rem;display:inline-block;vertical-align:middle"}), " row not in the trace"])]),
            el("p", {"class": "note", text: "Row " + qNow + " (outlined) is this step's query. " +
                (missing ? missing + " of " + mat.n + " query rows are not in this " + data.level + " trace (a summary trace keeps only the last query of each step)." : "Every row is in the trace.")})]);
        var grid = el("div", {"class": "att-grid", style: "grid-template-columns: auto repeat(" + cfg.n_head + ", auto)"});
        grid.appendChild(el("span"));
        for (var h = 0; h < cfg.n_head; h++) grid.appendChild(el("span", {"class": "hdr", text: "head " + h}));
        for (var l = 0; l < cfg.n_layer; l++) {
            grid.appendChild(el("span", {"class": "hdr", text: "layer " + l}));
            for (h = 0; h < cfg.n_head; h++) {
                (function (l, h) {
                    var c = el("canvas", {"class": "att-small" + (l === att.layer && h === att.head ? " picked" : ""),
                                          title: "layer " + l + ", head " + h, "data-layer": l, "data-head": h,
                                          style: "width:84px;height:84px"});
                    var m = attentionMatrix(l, h);
                    drawMatrix(c, m, Math.max(1, Math.floor(84 / m.n)), null);
                    c.addEventListener("click", function () { att.layer = l; att.head = h; renderAll(); });
                    grid.appendChild(c);
                })(l, h);
            }
        }
        sec.appendChild(el("div", {"class": "att-layout"}, [left, el("div", null, [el("h3", {text: "pick a layer and head"}), grid])]));
    }

    /* ---- view: Strategies side by side (argen compare) ---- */

    var cmpPick = null;

    function renderCompare(sec) {
        clear(sec);
        var S = data.strategies;
        sec.appendChild(el("h2", {text: "Strategies side by side, aligned by text position"}));
        sec.appendChild(el("p", {"class": "note", text: "Prompt: \u201c" + (data.prompt_text || "") + "\u201d. A row is a character offset into the generated text; highlighted tokens are not shared by every strategy; the red line is where a strategy first departs from the first column."}));
        /* character offset of every token */
        var offsets = S.map(function (c) { var o = 0; return c.tokens.map(function (t) { var a = o; o += (t || "").length; return a; }); });
        var all = {};
        offsets.forEach(function (os) { os.forEach(function (o) { all[o] = true; }); });
        var rowsAt = Object.keys(all).map(Number).sort(function (a, b) { return a - b; });
        var ref = S[0];
        var diverge = S.map(function (c) {
            var text = "", refText = "";
            for (var i = 0; i < c.tokens.length; i++) {
                text += c.tokens[i] || "";
                refText = (ref.text || ref.tokens.join(""));
                if (refText.slice(0, text.length) !== text) return i;
            }
            return -1;
        });
        var shared = function (o, t) { return S.every(function (c, ci) { var i = offsets[ci].indexOf(o); return i >= 0 && c.tokens[i] === t; }); };
        var head = el("tr", null, [el("th", {text: "offset"})].concat(S.map(function (c, ci) {
            var lp = 0;
            c.steps.forEach(function (s) { lp += Math.log(s.probability); });
            return el("th", null, [el("div", {text: c.name}), el("div", {"class": "muted", text: "log p = " + lp.toFixed(2) + (c.score !== undefined ? ", score " + fmt(c.score, 3) : "")}),
                diverge[ci] >= 0 ? el("div", {"class": "badge", text: "departs at token " + diverge[ci]}) : el("div", {"class": "muted", text: ci ? "same text as " + ref.name : "reference"})]);
        })));
        var table = el("table", {"class": "cols", id: "compare-table"}, [head]);
        rowsAt.forEach(function (o) {
            var tr = el("tr", null, [el("td", {"class": "off", text: o})]);
            S.forEach(function (c, ci) {
                var i = offsets[ci].indexOf(o);
                var td = el("td", {"class": i >= 0 && i === diverge[ci] ? "diverge" : null});
                if (i >= 0) {
                    var st = c.steps[i];
                    td.appendChild(el("span", {"class": "tok" + (shared(o, c.tokens[i]) ? "" : " diff"), "data-col": ci, "data-step": i,
                        style: shared(o, c.tokens[i]) ? probStyle(st.probability) : null,
                        title: c.name + " step " + i + ": p = " + fmtP(st.probability),
                        text: tokText(c.tokens[i]), onclick: function () { cmpPick = {col: ci, step: i}; renderAll(); }}));
                }
                tr.appendChild(td);
            });
            table.appendChild(tr);
        });
        var detail = el("div", {id: "compare-step", "class": "stage"});
        if (cmpPick) {
            var c = S[cmpPick.col], st = c.steps[cmpPick.step];
            detail.appendChild(el("h3", {text: c.name + ", step " + cmpPick.step + ": " + JSON.stringify(String(c.tokens[cmpPick.step]))}));
            detail.appendChild(el("div", {"class": "facts"}, [
                el("span", null, ["probability ", el("b", {text: fmtP(st.probability)})]),
                el("span", null, ["surprisal ", el("b", {text: fmt(-Math.log2(st.probability), 2)}), " bits"]),
                el("span", null, ["entropy ", el("b", {text: st.entropy_bits === null || st.entropy_bits === undefined ? "-" : fmt(st.entropy_bits, 3)}), " bits"]),
                el("span", {text: "strategy " + c.strategy + ", T = " + c.temperature + (samples(c.strategy) ? ", " + rulesOn(c) : "")}),
                el("span", {text: "context: " + (data.prompt_text || "") + c.tokens.slice(0, cmpPick.step).join("")})
            ]));
        } else {
            detail.appendChild(el("p", {"class": "note", text: "Click a token to open that strategy's step."}));
        }
        sec.appendChild(el("div", {"class": "att-layout"}, [table, detail]));
    }

    /* ---- view: Beam tree ---- */

    var beamHidePruned = false, beamCollapsed = {};

    function renderBeam(sec) {
        clear(sec);
        sec.appendChild(el("h2", {text: "Beam search: " + data.settings.beams + " beams, each step's best extensions"}));
        sec.appendChild(el("div", {"class": "controls"}, [
            el("button", {id: "beam-toggle", text: beamHidePruned ? "show pruned" : "hide pruned",
                          onclick: function () { beamHidePruned = !beamHidePruned; renderAll(); }}),
            el("span", {"class": "note", text: "Click a node to collapse or expand what grew from it. Hover for scores."})]));
        /* nodes: one per candidate; a kept candidate is beam `beam` of its step. */
        var colW = 190, rowH = 40, x0 = 150;
        var layout = [];   /* per step: visible candidates with y */
        var beamNode = [];  /* per step: beam index -> node */
        var hidden = {};
        var maxRows = 0;
        data.steps.forEach(function (st, si) {
            var list = [];
            beamNode.push({});
            st.candidates.forEach(function (c, ci) {
                var parentNode = si === 0 ? {key: "root"} : beamNode[si - 1][c.parent];
                var key = si + ":" + ci;
                if (!parentNode || hidden[parentNode.key] || beamCollapsed[parentNode.key]) { hidden[key] = true; return; }
                if (beamHidePruned && (c.fate === "pruned" || c.fate === "pruned_eos")) return;
                var node = {key: key, c: c, parent: parentNode, x: x0 + 30 + si * colW, y: 0};
                if (c.fate === "kept") beamNode[si][c.beam] = node;
                list.push(node);
            });
            list.forEach(function (n, i) { n.y = 40 + i * rowH; });
            maxRows = Math.max(maxRows, list.length);
            layout.push(list);
        });
        var W = x0 + 60 + data.steps.length * colW, H = 60 + maxRows * rowH;
        var svg = sv("svg", {viewBox: "0 0 " + W + " " + H, width: W, height: H, id: "beam-tree"});
        var root = {x: 10, y: 40 + (maxRows - 1) * rowH / 2};
        svg.appendChild(sv("text", {x: root.x, y: root.y + 6, "font-weight": "bold", text: "prompt"}));
        var fateStyle = {kept: {fill: "#dbeafe", stroke: "#0b4f9c", dash: null},
                         finished: {fill: "#bbf7d0", stroke: "#166534", dash: null},
                         pruned: {fill: "#f3f4f6", stroke: "#9ca3af", dash: "6 4"},
                         pruned_eos: {fill: "#f3f4f6", stroke: "#9ca3af", dash: "2 3"}};
        layout.forEach(function (list, si) {
            svg.appendChild(sv("text", {x: x0 + 30 + si * colW, y: 22, "class": "small", text: "step " + si}));
            list.forEach(function (n) {
                var p = n.parent.key === "root" ? {x: root.x + 80, y: root.y} : {x: n.parent.x + colW - 40, y: n.parent.y};
                svg.appendChild(sv("line", {x1: p.x, y1: p.y, x2: n.x, y2: n.y, stroke: fateStyle[n.c.fate].stroke, "stroke-width": n.c.fate === "kept" || n.c.fate === "finished" ? 3 : 1.5,
                                            "stroke-dasharray": fateStyle[n.c.fate].dash}));
            });
        });
        layout.forEach(function (list) {
            list.forEach(function (n) {
                var fs = fateStyle[n.c.fate];
                var g = sv("g", {"class": "beam-node fate-" + n.c.fate, "data-key": n.key, style: "cursor:pointer",
                                 onclick: function () { beamCollapsed[n.key] = !beamCollapsed[n.key]; renderAll(); }});
                g.appendChild(sv("title", {text: n.c.fate + ": log p " + fmt(n.c.logprob, 3) + ", sum log p " + fmt(n.c.sum_logprob, 3) + ", score " + fmt(n.c.score, 3)}));
                g.appendChild(sv("rect", {x: n.x, y: n.y - 16, width: colW - 40, height: 32, rx: 6, fill: fs.fill, stroke: fs.stroke, "stroke-width": 2, "stroke-dasharray": fs.dash}));
                g.appendChild(sv("text", {x: n.x + 8, y: n.y + 6, "class": "mono", text: tokText(n.c.token) + (beamCollapsed[n.key] ? " \u25b8" : "")}));
                svg.appendChild(g);
            });
        });
        sec.appendChild(el("div", {style: "overflow-x:auto"}, svg));
        sec.appendChild(el("div", {"class": "legend"}, [
            el("span", {style: "background:#dbeafe;border:2px solid #0b4f9c;width:1.5rem;height:1rem;display:inline-block"}), "kept (a live beam)",
            el("span", {style: "background:#bbf7d0;border:2px solid #166534;width:1.5rem;height:1rem;display:inline-block"}), "finished (ends in eos)",
            el("span", {style: "background:#f3f4f6;border:2px dashed #9ca3af;width:1.5rem;height:1rem;display:inline-block"}), "pruned"]));
        var seqs = el("ol", null, data.result.sequences.map(function (s) {
            return el("li", null, [el("span", {"class": "mono", text: s.tokens.map(tokText).join("")}),
                el("span", {"class": "muted", text: "  score " + fmt(s.score, 3) + ", sum log p " + fmt(s.sum_logprob, 3)})]);
        }));
        sec.appendChild(el("h3", {text: "final sequences, best first"}));
        sec.appendChild(seqs);
    }

    /* ---- view: Surprisal (argen score) ---- */

    function renderScore(sec) {
        clear(sec);
        sec.appendChild(el("h2", {text: "Teacher forcing: how surprised the model is by each token"}));
        var byPos = {};
        data.scores.forEach(function (s) { byPos[s.position] = s; });
        var strip = el("div", {"class": "strip", id: "score-strip"});
        data.tokens.forEach(function (t, i) {
            var s = byPos[i];
            var span = el("span", {"class": "tok" + (s ? " scored" : " prompt"), style: s ? surprisalStyle(s.surprisal_bits) : null, text: tokText(t)});
            var tip = s ? "position " + i + ": " + JSON.stringify(String(t)) + "\nsurprisal " + fmt(s.surprisal_bits, 2) + " bits, p = " + fmtP(s.probability) +
                          "\nrank " + s.rank + " (model's top: " + JSON.stringify(String(s.top.token)) + ", p = " + fmtP(s.top.probability) + ")"
                        : "position " + i + ": not scored (nothing before it)";
            span.addEventListener("mousemove", function (ev) { showTip(ev, tip); });
            span.addEventListener("mouseleave", hideTip);
            span.setAttribute("title", tip);
            strip.appendChild(span);
        });
        sec.appendChild(strip);
        sec.appendChild(el("div", {"class": "legend"}, ["surprisal 0 bits",
            el("span", {"class": "ramp", style: "background:linear-gradient(90deg,hsl(2,85%,97%),hsl(2,85%,37%))"}), "\u2265 10 bits"]));
        var sm = data.summary;
        sec.appendChild(el("div", {"class": "facts"}, [
            el("span", null, ["mean surprisal ", el("b", {text: fmt(sm.mean_surprisal_bits, 2)}), " bits/token"]),
            el("span", null, ["perplexity ", el("b", {text: fmt(sm.perplexity, 2)})]),
            el("span", null, ["the model's top choice ", el("b", {text: (100 * sm.top1_fraction).toFixed(0) + "%"}), " of the time"])]));
        if (data.free) {
            var fr = data.free;
            sec.appendChild(el("h3", {text: "Free generation from position " + fr.from_position + " (" + fr.strategy + "): where it drifts from the text"}));
            var t = el("table", {"class": "grid", id: "drift"});
            var refRow = el("tr", null, [el("th", {text: "the text"})]), freeRow = el("tr", null, [el("th", {text: "the model alone"})]);
            fr.tokens.forEach(function (tok, i) {
                var pos = fr.from_position + i;
                refRow.appendChild(el("td", {"class": "tok", text: tokText(pos < data.tokens.length ? data.tokens[pos] : "")}));
                freeRow.appendChild(el("td", {"class": "tok" + (fr.matches[i] ? " correct" : "") + (i === fr.first_divergence - fr.from_position || (fr.first_divergence < fr.from_position && !fr.matches[i] && (i === 0 || fr.matches[i - 1])) ? " diverge" : ""),
                    style: fr.matches[i] ? "background:#bbf7d0" : "background:#fde68a", title: "p = " + fmtP(fr.probability[i]), text: tokText(tok)}));
            });
            t.appendChild(refRow);
            t.appendChild(freeRow);
            sec.appendChild(el("div", {style: "overflow-x:auto"}, t));
            sec.appendChild(el("p", {"class": "note", text: "green: the same token as the text; yellow: different. First divergence at position " + fr.first_divergence + "."}));
        }
    }

    /* ---- view: Jacobi passes ---- */

    function renderJacobi(sec) {
        clear(sec);
        sec.appendChild(el("h2", {text: "Jacobi decoding: each block's passes \u00d7 positions"}));
        sec.appendChild(el("p", {"class": "note", text: "bold: changed by this pass; green: already equal to the token finally accepted; the last row (blue) is what the block accepted."}));
        data.steps.forEach(function (b) {
            sec.appendChild(el("h3", {text: "block " + b.block + ": positions " + b.start_position + "\u2013" + (b.start_position + b.size - 1) + ", " + b.passes + " passes, " + b.converged_by.replace("_", " ")}));
            var t = el("table", {"class": "grid jacobi"});
            var hdr = el("tr", null, [el("th", {text: "pass"})]);
            for (var i = 0; i < b.size; i++) hdr.appendChild(el("th", {text: "pos " + (b.start_position + i)}));
            t.appendChild(hdr);
            var init = el("tr", null, [el("th", {text: "guess"})]);
            b.initial_guess.tokens.forEach(function (tok) { init.appendChild(el("td", {"class": "tok", text: tokText(tok)})); });
            t.appendChild(init);
            b.iterations.forEach(function (it) {
                var tr = el("tr", null, [el("th", {text: String(it.pass)})]);
                it.tokens.forEach(function (tok, i) {
                    tr.appendChild(el("td", {"class": "tok" + (it.changed[i] ? " changed" : "") + (it.correct[i] ? " correct" : ""), text: tokText(tok)}));
                });
                t.appendChild(tr);
            });
            var acc = el("tr", {"class": "accepted"}, [el("th", {text: "accepted"})]);
            b.accepted.tokens.forEach(function (tok) { acc.appendChild(el("td", {"class": "tok", text: tokText(tok)})); });
            t.appendChild(acc);
            sec.appendChild(t);
        });
    }

    /* ---- start ---- */

    if (kind === "generate") {
        addView("step", "Step", renderStep);
        addView("whatif", "What if", renderWhatIf);
        if (data.steps.length && data.steps[0].forward.layers.length && data.steps[0].forward.layers[0].attention) addView("attention", "Attention", renderAttention);
    } else if (kind === "compare") {
        addView("compare", "Strategies", renderCompare);
    } else if (kind === "beam") {
        addView("beam", "Beam tree", renderBeam);
    } else if (kind === "score") {
        addView("score", "Surprisal", renderScore);
    } else if (kind === "jacobi") {
        addView("jacobi", "Jacobi passes", renderJacobi);
    }

    tooltip = el("div", {"class": "tooltip", id: "tooltip"});
    document.body.appendChild(header());
    views.forEach(function (v) { document.body.appendChild(v.section); });
    document.body.appendChild(tooltip);
    if (kind === "generate" && data.steps.length) {
        state.step = openingStep().step;
        window.addEventListener("hashchange", function () {
            var i = stepFromUrl();
            if (i !== null && i !== state.step) setStep(i);
        });
    }
    if (kind === "generate" && !data.steps.length) {
        document.body.appendChild(el("p", {text: "This run has no steps (nothing was generated)."}));
        views = [];
    }

    document.addEventListener("keydown", function (ev) {
        if (ev.target && ev.target.tagName === "INPUT") return;
        if (ev.key === "ArrowRight") { setStep(state.step + 1); ev.preventDefault(); }
        else if (ev.key === "ArrowLeft") { setStep(state.step - 1); ev.preventDefault(); }
        else if (ev.key === " " && nSteps()) { togglePlay(); ev.preventDefault(); }
        else if (/^[1-9]$/.test(ev.key) && views[Number(ev.key) - 1]) showView(views[Number(ev.key) - 1].id);
    });

    window.argenView = {
        kind: kind, verifyAll: verifyAll, setStep: setStep,
        state: function () { return {step: state.step, view: state.view, playing: !!state.playing}; },
        views: function () { return views.map(function (v) { return v.id; }); }
    };
    if (views.length) showView(views[0].id);
})();
