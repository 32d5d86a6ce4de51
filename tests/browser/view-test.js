/*
 * view-test.js - drives a headless browser through pages written by argen view.
 *
 *   [BROWSER=firefox] node view-test.js SHOTS_DIR KIND=PAGE.html ... [hostile=PAGE.html] [u2028=PAGE.html]
 *
 * BROWSER is chromium (the default: $CHROMIUM, or /usr/bin/chromium, through
 * the DevTools protocol) or firefox ($FIREFOX, or /usr/bin/firefox-esr,
 * through WebDriver BiDi).  Firefox runs the same checks except the print
 * stylesheet (BiDi cannot emulate print media) and writes no screenshots.
 *
 * KIND is generate, compare, beam, score or jacobi.  For every page: it loads
 * from file:// with every non-file request refused and logs no console error,
 * page error or failed request; each view exists and responds; generation
 * pages agree with the C sampler at every step (kept sets and the chosen
 * token, recomputed by the page's JavaScript with the run's settings) and
 * open at their most uncertain step, or at the step #step=N names.  The
 * hostile page must run no script and gain no element.  Screenshots of each
 * view go to SHOTS_DIR.  Prints one line per check; exits 1 on any failure.
 */
"use strict";
const path = require("path");
const fs = require("fs");
const puppeteer = require("puppeteer-core");

const shots = process.argv[2];
const firefox = process.env.BROWSER === "firefox";
const tag = firefox ? "firefox: " : "";
const pages = process.argv.slice(3).map((a) => { const i = a.indexOf("="); return {kind: a.slice(0, i), file: a.slice(i + 1)}; });
let failures = 0;

function check(ok, what) {
    console.log((ok ? "ok   " : "FAIL ") + tag + what);
    if (!ok) failures++;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function openPage(browser, file, hash) {
    const page = await browser.newPage();
    await page.setViewport({width: 1400, height: 1000});
    const problems = [];
    let dialogs = 0;
    page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
    page.on("pageerror", (e) => problems.push("page error: " + e.message));
    page.on("requestfailed", (r) => { if (!r.url().startsWith("file:")) problems.push("request failed: " + r.url()); });
    page.on("dialog", async (d) => { dialogs++; await d.dismiss(); });
    await page.setRequestInterception(true);
    page.on("request", (r) => {
        const u = r.url();
        if (u.startsWith("file:") || u.startsWith("data:")) r.continue();
        else { problems.push("network request: " + u); r.abort(); }
    });
    if (!firefox) await page.setOfflineMode(true);   /* Firefox: the interception above refuses the network */
    await page.goto("file://" + path.resolve(file) + (hash || ""), {waitUntil: "load"});
    return {page, problems, dialogs: () => dialogs};
}

/* A screenshot of the whole page, as a person sees it from the top: scrolled
 * back, the mouse off every tooltip. */
async function shot(page, name) {
    await page.mouse.move(1, 1);
    await page.evaluate(() => window.scrollTo(0, 0));
    if (firefox) return;
    await page.screenshot({path: path.join(shots, name + ".png"), fullPage: true});
}

const text = (page, sel) => page.$eval(sel, (e) => e.textContent);

/* The step with the highest selection.entropy_bits, the first of equals. */
function mostUncertain(trace) {
    let best = 0;
    trace.steps.forEach((s, i) => { if (s.selection.entropy_bits > trace.steps[best].selection.entropy_bits) best = i; });
    return best;
}

let openedPastStart = 0;   /* generation pages whose most uncertain step is not step 0 */

/* The page opens at the most uncertain step and says so; with `reopen`,
 * #step=N opens step N and a fragment naming no step is ignored; the address
 * follows the step. */
async function testOpening(browser, file, page, name, trace, reopen) {
    const want = mostUncertain(trace), n = trace.steps.length;
    if (want > 0) openedPastStart++;
    const opened = await page.evaluate(() => window.argenView.state().step);
    const line = await text(page, "#opened");
    check(opened === want && (await text(page, "#step-number")).startsWith("step " + want + " ") &&
          line.includes("most uncertain step (step " + want + ","),
          name + ": opens at the most uncertain step, " + want + " of 0.." + (n - 1) + " (" + line + ")");
    const at = n > 2 ? 2 : n - 1;
    const cases = [{hash: "#step=" + at, step: at, says: "(#step=" + at + " in the address)"},
                   {hash: "#step=" + n, step: want, says: "most uncertain"},    /* no such step: ignored */
                   {hash: "#step=x", step: want, says: "most uncertain"}];      /* not a number: ignored */
    for (const c of reopen ? cases : []) {
        const o = await openPage(browser, file, c.hash);
        const got = await o.page.evaluate(() => window.argenView.state().step);
        const said = await text(o.page, "#opened");
        check(got === c.step && said.includes(c.says) && o.problems.length === 0,
              name + ": " + c.hash + " opens step " + got + " (want " + c.step + "; header: " + said + ")");
        await o.page.close();
    }
    await page.evaluate(() => window.argenView.setStep(0));
    if (n > 1) {
        await page.keyboard.press("ArrowRight");
        const hash = await page.evaluate(() => window.location.hash);
        check(hash === "#step=1", name + ": the address follows the step (" + hash + ")");
    }
}

/* full: every check; otherwise (Firefox, after its first generation page) the
 * selection, the opening step and stepping only: the rest is the same
 * JavaScript on the same browser. */
async function testGenerate(browser, file, page, name, full, first) {
    const views = await page.evaluate(() => window.argenView.views());
    check(views.includes("step") && views.includes("whatif"), name + ": Step and What if views exist (" + views.join(",") + ")");
    const bad = await page.evaluate(() => window.argenView.verifyAll());
    check(bad.length === 0, name + ": the page's selection agrees with the trace at every step" + (bad.length ? " (" + bad.slice(0, 3).join("; ") + ")" : ""));
    const trace = await page.evaluate(() => JSON.parse(document.getElementById("argen-trace").textContent));
    const nSteps = trace.steps.length;
    // the header names the sampling rules that are on, and no rule that is off (top-k 0, top-p 1, min-p 0)
    const header = await text(page, "header p.summary"), st = trace.settings;
    const sampling = !["greedy", "beam", "jacobi"].includes(st.strategy);
    const said = (rule) => header.includes(rule + " = ");
    check(said("top-k") === (sampling && st.top_k > 0) && said("top-p") === (sampling && st.top_p < 1) &&
          said("min-p") === (sampling && st.min_p > 0),
          name + ": the header names the rules that are on (" + header.split(", seed")[0] + ")");
    await shot(page, name + "-step");   // as the page opens: the most uncertain step
    await testOpening(browser, file, page, name, trace, first);
    // stepping from the first step: the step number, the highlighted token and the bars change
    await page.evaluate(() => window.argenView.setStep(0));
    await page.keyboard.press("Digit1");
    const before = {n: await text(page, "#step-number"), cur: await page.$eval(".tok.current", (e) => e.dataset.step),
                    bars: await page.$$eval("#view-step svg.bars .bar", (b) => b.map((x) => x.dataset.id).join(","))};
    await page.keyboard.press("ArrowRight");
    const after = {n: await text(page, "#step-number"), cur: await page.$eval(".tok.current", (e) => e.dataset.step),
                   bars: await page.$$eval("#view-step svg.bars .bar", (b) => b.map((x) => x.dataset.id).join(","))};
    check(before.n !== after.n && before.cur !== after.cur, name + ": \u2192 changes the step number and the highlighted token (" + before.n + " -> " + after.n + ")");
    check(before.bars !== after.bars, name + ": \u2192 changes the bars");
    if (!full) return nSteps;
    // ranks count from 1: the most likely token's bar says "rank 1", the step line names the chosen rank, greedy's is 1
    await page.evaluate(() => window.argenView.setStep(0));
    const firstBar = await page.$eval("#view-step svg.bars .bar title", (t) => t.textContent);
    const chosenLine = await page.$eval("#appended", (e) => e.nextElementSibling ? e.nextElementSibling.textContent : "");
    const sel0 = trace.steps[0].selection;
    check(/^rank 1, /.test(firstBar) && chosenLine.includes(", rank " + sel0.chosen.rank + ",") &&
          (sel0.strategy !== "greedy" || chosenLine.includes(", rank 1,")),
          name + ": ranks count from 1 (top bar: " + firstBar.split(",")[0] + "; chosen:" + chosenLine.split(",").slice(1, 2) + ")");
    await page.click('.tok.gen[data-step="0"]');
    check((await text(page, "#step-number")).startsWith("step 0 "), name + ": clicking a token goes to its step");
    await page.click("#view-step button.play");
    await sleep(1100);
    const playing = await page.evaluate(() => window.argenView.state());
    check(playing.step >= 1, name + ": play advances the steps");
    await page.keyboard.press(" ");   // pause (" ": a key name both protocols know)
    check(await page.$("#view-step .draw-strip") !== null, name + ": the [0, 1) strip is drawn");
    // what if, at the step the page opens at: the sliders change the kept set
    await page.evaluate((i) => window.argenView.setStep(i), mostUncertain(trace));
    await page.keyboard.press("Digit2");
    await shot(page, name + "-whatif");
    const kept0 = await text(page, "#whatif-kept");
    // one line per rule that cut something more than the rules before it: none drawn twice at one rank, none for a rule that is off
    const lines = await page.$$eval("#view-whatif .cut-line", (l) => l.map((x) => x.dataset.cut + "@" + x.getAttribute("y1")));
    const ys = lines.map((x) => x.split("@")[1]);
    const sel = trace.steps[mostUncertain(trace)].selection;
    check(new Set(ys).size === ys.length && (sel.min_p > 0 || !lines.some((x) => x.startsWith("min-p"))) &&
          (sel.top_p < 1 || !lines.some((x) => x.startsWith("top-p"))),
          name + ": cut lines at distinct ranks, none for a rule that is off (" + (lines.join(" ") || "none") + ")");
    const setSlider = (id, v) => page.$eval(id, (e, v) => { e.value = String(v); e.dispatchEvent(new Event("input", {bubbles: true})); }, v);
    await setSlider("#slider-temperature", 1.5);
    await setSlider("#slider-top_k", 0);
    await setSlider("#slider-top_p", 1);
    await setSlider("#slider-min_p", 0);
    await setSlider("#slider-top_k", 3);
    const kept3 = await text(page, "#whatif-kept");
    await setSlider("#slider-top_k", 1);
    const kept1 = await text(page, "#whatif-kept");
    check(kept3 === "3" && kept1 === "1", name + ": top-k slider changes the kept set (run " + kept0 + ", k=3: " + kept3 + ", k=1: " + kept1 + ")");
    await setSlider("#slider-top_k", 0);
    await setSlider("#slider-min_p", 0.5);
    const keptMin = await text(page, "#whatif-kept");
    await setSlider("#slider-min_p", 0);
    await setSlider("#slider-top_p", 0.01);
    const keptP = await text(page, "#whatif-kept");
    check(keptP === "1", name + ": top-p 0.01 keeps one token (got " + keptP + "; min-p 0.5 kept " + keptMin + ")");
    await page.click("#reset-whatif");
    check(await text(page, "#whatif-kept") === kept0, name + ": reset restores the run's kept set");
    if (views.includes("attention")) {
        await page.keyboard.press("Digit3");
        const h0 = await text(page, "#view-attention h2");
        const smalls = await page.$$("canvas.att-small");
        await smalls[smalls.length - 1].click();
        const h1 = await text(page, "#view-attention h2");
        check(h0 !== h1, name + ": picking a matrix in the layer \u00d7 head grid changes the big one (" + h1 + ")");
        const box = await (await page.$("#att-big")).boundingBox();
        await page.mouse.move(box.x + 3, box.y + box.height - 3);
        const tip = await page.$eval("#tooltip", (e) => e.style.display !== "none" ? e.textContent : "");
        check(/weight/.test(tip), name + ": hovering a cell shows the weight and the two tokens");
        await shot(page, name + "-attention");
    }
    return nSteps;
}

async function testCompare(page, name) {
    check(await page.$("#compare-table") !== null, name + ": strategy columns exist");
    const diffs = await page.$$eval("#compare-table .diff", (d) => d.length);
    check(diffs > 0, name + ": differing tokens are highlighted (" + diffs + ")");
    const badges = await page.$$eval("#compare-table .badge", (d) => d.length);
    check(badges > 0, name + ": the first divergence is marked (" + badges + " strategies)");
    await page.click('#compare-table .tok[data-col="1"][data-step="3"]');
    check(/step 3/.test(await text(page, "#compare-step h3")), name + ": clicking a token opens that strategy's step");
    await shot(page, name + "-compare");
}

async function testBeam(page, name) {
    const n0 = await page.$$eval(".beam-node", (n) => n.length);
    const fates = await page.$$eval(".beam-node", (n) => [...new Set(n.map((x) => x.getAttribute("class")))].join(" "));
    check(n0 > 0 && /fate-kept/.test(fates) && /fate-pruned/.test(fates), name + ": the tree shows kept and pruned nodes (" + n0 + ")");
    await shot(page, name + "-tree");
    await page.click("#beam-toggle");
    const n1 = await page.$$eval(".beam-node", (n) => n.length);
    check(n1 < n0, name + ": hide pruned removes nodes (" + n0 + " -> " + n1 + ")");
    await page.click("#beam-toggle");
    await page.click('.beam-node[data-key="0:0"]');
    const n2 = await page.$$eval(".beam-node", (n) => n.length);
    check(n2 < n0, name + ": clicking a node collapses its subtree (" + n0 + " -> " + n2 + ")");
}

async function testScore(page, name) {
    const toks = await page.$$("#score-strip .tok.scored");
    check(toks.length > 0, name + ": tokens coloured by surprisal (" + toks.length + ")");
    const b = await toks[3].boundingBox();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
    const tip = await page.$eval("#tooltip", (e) => e.style.display !== "none" ? e.textContent : "");
    check(/rank/.test(tip) && /p = /.test(tip), name + ": hovering a token shows its rank and probability");
    check(await page.$("#drift") !== null, name + ": the free-generation drift is drawn");
    await shot(page, name + "-score");
}

async function testJacobi(page, name) {
    const n = await page.$$eval("table.jacobi", (t) => t.length);
    const acc = await page.$$eval("table.jacobi tr.accepted", (t) => t.length);
    check(n > 0 && n === acc, name + ": one passes \u00d7 positions grid per block, accepted row marked (" + n + ")");
    check(await page.$$eval("table.jacobi td.correct", (t) => t.length) > 0, name + ": correct tokens marked");
    await shot(page, name + "-jacobi");
}

/* Printed: every view shown, and nothing pinned over the content (a sticky
 * or fixed element would be drawn over each page's top). */
async function testPrint(page, name) {
    await page.emulateMediaType("print");
    const printed = await page.$$eval("section.view", (s) => s.filter((x) => getComputedStyle(x).display !== "none").length);
    const all = await page.$$eval("section.view", (s) => s.length);
    check(printed === all, name + ": the print stylesheet shows every view (" + printed + "/" + all + ")");
    const pinned = await page.evaluate(() => [...document.querySelectorAll("body *")].filter((e) => {
        const c = getComputedStyle(e);
        return (c.position === "sticky" || c.position === "fixed") && c.display !== "none";
    }).map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")));
    check(pinned.length === 0, name + ": nothing is pinned over the printed pages (" + (pinned.join(", ") || "none") + ")");
    await page.emulateMediaType("screen");
}

/* On screen: the header scrolls with the page, so nothing covers the content
 * below it wherever the page is scrolled. */
async function testNothingPinned(page, name) {
    const pinned = await page.evaluate(() => [...document.querySelectorAll("body *")].filter((e) => {
        const c = getComputedStyle(e);
        return !e.classList.contains("tooltip") && (c.position === "sticky" || c.position === "fixed");
    }).map((e) => e.tagName.toLowerCase()));
    check(pinned.length === 0, name + ": no header or element is pinned over the content (" + (pinned.join(", ") || "none") + ")");
}

function launch() {
    if (firefox)
        return puppeteer.launch({browser: "firefox", executablePath: process.env.FIREFOX || "/usr/bin/firefox-esr", headless: true});
    return puppeteer.launch({
        executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
        headless: true,
        args: (process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : []).concat(["--disable-gpu", "--disable-dev-shm-usage"]),
    });
}

(async () => {
    fs.mkdirSync(shots, {recursive: true});
    const browser = await launch();
    const seen = {};   /* the kinds of page already tested */
    try {
        for (const p of pages) {
            const name = path.basename(p.file, ".html");
            const t0 = Date.now();
            const {page, problems, dialogs} = await openPage(browser, p.file);
            const loadMs = Date.now() - t0;
            const kind = await page.evaluate(() => window.argenView && window.argenView.kind);
            if (p.kind === "hostile") {
                const imgs = await page.$$eval("img", (x) => x.length);
                const scripts = await page.$$eval("script", (x) => x.length);
                const shown = await page.$eval("#strip", (e) => e.textContent);
                check(dialogs() === 0 && imgs === 0 && scripts === 2, name + ": the hostile prompt runs no script and adds no element");
                check(shown.includes("</script>") || shown.includes("script>"), name + ": the hostile prompt is shown as text");
                await shot(page, name);
            } else if (p.kind === "tampered") {
                const bad = await page.evaluate(() => window.argenView.verifyAll());
                check(bad.some((b) => /step 2: chosen/.test(b)) && bad.some((b) => /step 2: n_kept/.test(b)),
                      name + ": a trace whose choice disagrees with its logits is caught (" + bad.join("; ") + ")");
            } else if (p.kind === "u2028") {
                const shown = await page.$eval("#strip", (e) => e.textContent);
                check(shown.includes("\u2028") && shown.includes("<!--"), name + ": U+2028 and <!-- in a token survive as text");
            } else {
                check(kind === p.kind, name + ": the page sees a " + p.kind + " trace (" + kind + ")");
                const first = !seen[p.kind];
                seen[p.kind] = true;
                if (p.kind === "generate") await testGenerate(browser, p.file, page, name, !firefox || first, first);
                else if (p.kind === "compare") await testCompare(page, name);
                else if (p.kind === "beam") await testBeam(page, name);
                else if (p.kind === "score") await testScore(page, name);
                else if (p.kind === "jacobi") await testJacobi(page, name);
                if (!firefox) await testPrint(page, name);
            }
            if (p.kind !== "tampered") await testNothingPinned(page, name);
            check(problems.length === 0, name + ": no console error, page error or network request (load " + loadMs + " ms)" +
                  (problems.length ? ": " + problems.slice(0, 3).join("; ") : ""));
            await page.close();
        }
        const nGenerate = pages.filter((p) => p.kind === "generate").length;
        if (nGenerate) check(openedPastStart > 0, "of " + nGenerate + " generation pages, " + openedPastStart + " open past step 0 (the opening rule is exercised)");
    } finally {
        await browser.close();
    }
    console.log(failures ? "view-test: " + failures + " failed" : "view-test: all passed");
    process.exit(failures ? 1 : 0);
})().catch((e) => { console.error("view-test: " + e.stack); process.exit(1); });
