/*
 * view-test.js - drives headless Chromium through pages written by argen view.
 *
 *   node view-test.js SHOTS_DIR KIND=PAGE.html ... [hostile=PAGE.html] [u2028=PAGE.html]
 *
 * KIND is generate, compare, beam, score or jacobi.  For every page: it loads
 * from file:// with every non-file request refused and logs no console error,
 * page error or failed request; each view exists and responds; generation
 * pages agree with the C sampler at every step (kept sets and the chosen
 * token, recomputed by the page's JavaScript with the run's settings).  The
 * hostile page must run no script and gain no element.  Screenshots of each
 * view go to SHOTS_DIR.  Prints one line per check; exits 1 on any failure.
 */
"use strict";
const path = require("path");
const fs = require("fs");
const puppeteer = require("puppeteer-core");

const shots = process.argv[2];
const pages = process.argv.slice(3).map((a) => { const i = a.indexOf("="); return {kind: a.slice(0, i), file: a.slice(i + 1)}; });
let failures = 0;

function check(ok, what) {
    console.log((ok ? "ok   " : "FAIL ") + what);
    if (!ok) failures++;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function openPage(browser, file) {
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
    await page.setOfflineMode(true);
    await page.goto("file://" + path.resolve(file), {waitUntil: "load"});
    return {page, problems, dialogs: () => dialogs};
}

async function shot(page, name) {
    await page.screenshot({path: path.join(shots, name + ".png"), fullPage: true});
}

const text = (page, sel) => page.$eval(sel, (e) => e.textContent);

async function testGenerate(page, name) {
    const views = await page.evaluate(() => window.argenView.views());
    check(views.includes("step") && views.includes("whatif"), name + ": Step and What if views exist (" + views.join(",") + ")");
    const bad = await page.evaluate(() => window.argenView.verifyAll());
    check(bad.length === 0, name + ": the page's selection agrees with the trace at every step" + (bad.length ? " (" + bad.slice(0, 3).join("; ") + ")" : ""));
    const nSteps = await page.evaluate(() => JSON.parse(document.getElementById("argen-trace").textContent).steps.length);
    // stepping: the step number, the highlighted token and the bars change
    await page.keyboard.press("Digit1");
    const before = {n: await text(page, "#step-number"), cur: await page.$eval(".tok.current", (e) => e.dataset.step),
                    bars: await page.$$eval("#view-step svg.bars .bar", (b) => b.map((x) => x.dataset.id).join(","))};
    await shot(page, name + "-step");
    await page.keyboard.press("ArrowRight");
    const after = {n: await text(page, "#step-number"), cur: await page.$eval(".tok.current", (e) => e.dataset.step),
                   bars: await page.$$eval("#view-step svg.bars .bar", (b) => b.map((x) => x.dataset.id).join(","))};
    check(before.n !== after.n && before.cur !== after.cur, name + ": \u2192 changes the step number and the highlighted token (" + before.n + " -> " + after.n + ")");
    check(before.bars !== after.bars, name + ": \u2192 changes the bars");
    await page.click('.tok.gen[data-step="0"]');
    check((await text(page, "#step-number")).startsWith("step 0 "), name + ": clicking a token goes to its step");
    await page.click("#view-step button.play");
    await sleep(1100);
    const playing = await page.evaluate(() => window.argenView.state());
    check(playing.step >= 1, name + ": play advances the steps");
    await page.keyboard.press("Space");   // pause
    check(await page.$("#view-step .draw-strip") !== null, name + ": the [0, 1) strip is drawn");
    // what if: the sliders change the kept set
    await page.evaluate(() => window.argenView.setStep(1));
    await page.keyboard.press("Digit2");
    await shot(page, name + "-whatif");
    const kept0 = await text(page, "#whatif-kept");
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

(async () => {
    fs.mkdirSync(shots, {recursive: true});
    const browser = await puppeteer.launch({
        executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
        headless: true,
        args: (process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : []).concat(["--disable-gpu", "--disable-dev-shm-usage"]),
    });
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
                if (p.kind === "generate") await testGenerate(page, name);
                else if (p.kind === "compare") await testCompare(page, name);
                else if (p.kind === "beam") await testBeam(page, name);
                else if (p.kind === "score") await testScore(page, name);
                else if (p.kind === "jacobi") await testJacobi(page, name);
                await page.emulateMediaType("print");
                const printed = await page.$$eval("section.view", (s) => s.filter((x) => getComputedStyle(x).display !== "none").length);
                const all = await page.$$eval("section.view", (s) => s.length);
                check(printed === all, name + ": the print stylesheet shows every view (" + printed + "/" + all + ")");
                await page.emulateMediaType("screen");
            }
            check(problems.length === 0, name + ": no console error, page error or network request (load " + loadMs + " ms)" +
                  (problems.length ? ": " + problems.slice(0, 3).join("; ") : ""));
            await page.close();
        }
    } finally {
        await browser.close();
    }
    console.log(failures ? "view-test: " + failures + " failed" : "view-test: all passed");
    process.exit(failures ? 1 : 0);
})().catch((e) => { console.error("view-test: " + e.stack); process.exit(1); });
