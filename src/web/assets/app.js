// starcoach's page: five views over the /v1 API (stories, match, critique, practice,
// progress). Everything shown comes from the API's JSON; the page computes no
// judgment of its own. Text from the API is always set as text, never as HTML.
'use strict';

(function () {
  const KEY_STORAGE = 'starcoach.key';
  const PARTS = ['situation', 'task', 'action', 'result'];
  const LEVELS = ['strong', 'workable', 'stretch', 'gap'];
  const main = document.getElementById('main');
  const auth = {
    required: document.body.dataset.auth === 'bearer',
    key: sessionStorage.getItem(KEY_STORAGE),
    waiting: null,
  };
  const charts = [];

  // ---- DOM helpers -------------------------------------------------------------

  /** Element with attributes (`class`, `text`, `on:event`, others as attributes). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'style') Object.assign(el.style, v);
      else if (k.startsWith('on:')) el.addEventListener(k.slice(3), v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function title(text) {
    return h('h1', { text });
  }

  function badge(level) {
    return h('span', { class: 'badge level-' + level, text: level });
  }

  function fmt(x, digits) {
    return x === null || x === undefined ? '–' : Number(x).toFixed(digits === undefined ? 1 : digits);
  }

  function cap(word) {
    return word ? word[0].toUpperCase() + word.slice(1).replace(/[_-]/g, ' ') : '';
  }

  function basename(path) {
    return String(path || '').split('/').pop();
  }

  function list(items, make) {
    return h('ul', {}, items.map((item) => h('li', {}, make ? make(item) : item)));
  }

  function errorBox(err) {
    const box = h('div', { class: 'error', role: 'alert' });
    if (err && err.problem) {
      box.append(h('strong', { text: err.problem.title || 'Error' }), ' ', err.problem.detail || '');
      if (err.problem.field) box.append(h('span', { class: 'muted', text: ' (field: ' + err.problem.field + ')' }));
    } else {
      box.textContent = String((err && err.message) || err);
    }
    return box;
  }

  function busy(button, on) {
    button.disabled = on;
    button.classList.toggle('busy', on);
  }

  // ---- API ----------------------------------------------------------------------

  class ApiProblem extends Error {
    constructor(status, problem) {
      super((problem && problem.detail) || 'HTTP ' + status);
      this.status = status;
      this.problem = problem;
    }
  }

  async function api(method, path, body) {
    if (auth.required && !auth.key) await askForKey();
    const headers = {};
    if (auth.key) headers.Authorization = 'Bearer ' + auth.key;
    let payload;
    if (body instanceof FormData) {
      payload = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(path, { method, headers, body: payload });
    if (res.status === 401) {
      auth.key = null;
      sessionStorage.removeItem(KEY_STORAGE);
      await askForKey('That key was not accepted. Check it and try again.');
      return api(method, path, body);
    }
    if (res.status === 204) return null;
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new ApiProblem(res.status, data);
    return data;
  }

  /** Show the key form and wait until a key is entered. */
  function askForKey(message) {
    const section = document.getElementById('auth');
    const error = document.getElementById('auth-error');
    section.hidden = false;
    main.hidden = true;
    error.hidden = !message;
    error.textContent = message || '';
    document.getElementById('auth-key').focus();
    if (!auth.waiting) {
      auth.waiting = new Promise((resolve) => {
        document.getElementById('auth-form').addEventListener('submit', function onSubmit(ev) {
          ev.preventDefault();
          const input = document.getElementById('auth-key');
          auth.key = input.value.trim();
          if (!auth.key) return;
          input.value = '';
          sessionStorage.setItem(KEY_STORAGE, auth.key);
          ev.target.removeEventListener('submit', onSubmit);
          section.hidden = true;
          main.hidden = false;
          document.getElementById('forget-key').hidden = false;
          auth.waiting = null;
          resolve();
        });
      });
    }
    return auth.waiting;
  }

  // ---- charts (uPlot) -------------------------------------------------------------

  function chartWidth(el) {
    return Math.max(260, Math.min(el.clientWidth || 600, 900));
  }

  /** A line chart. `series`: [{label, values, stroke, dash}]; `band`: [low, high]. */
  function lineChart(el, opts) {
    const data = [opts.xs];
    const series = [{ label: opts.xLabel }];
    const bands = [];
    if (opts.band) {
      data.push(opts.xs.map(() => opts.band[1]), opts.xs.map(() => opts.band[0]));
      series.push(
        { label: opts.bandLabel + ' (top)', stroke: '#7aa37a', width: 1, dash: [4, 4], points: { show: false } },
        { label: opts.bandLabel + ' (bottom)', stroke: '#7aa37a', width: 1, dash: [4, 4], points: { show: false } },
      );
      bands.push({ series: [1, 2], fill: 'rgba(122, 163, 122, 0.18)' });
    }
    for (const s of opts.series) {
      data.push(s.values);
      series.push({ label: s.label, stroke: s.stroke || '#2457a6', width: 2, points: { show: true, size: 5 } });
    }
    const chart = new uPlot(
      {
        width: chartWidth(el),
        height: opts.height || 220,
        scales: { x: { time: !!opts.time }, y: opts.yRange ? { range: opts.yRange } : {} },
        axes: [{ label: opts.xLabel }, { label: opts.yLabel, size: opts.yLabel ? 56 : 44 }],
        series,
        bands,
        // Titles and text above each chart say what is drawn.
        legend: { show: false },
      },
      data,
      el,
    );
    charts.push({ chart, el });
    return chart;
  }

  window.addEventListener('resize', () => {
    for (const { chart, el } of charts) {
      if (el.isConnected) chart.setSize({ width: chartWidth(el), height: chart.height });
    }
  });

  // ---- stories --------------------------------------------------------------------

  async function storiesPage() {
    const status = h('div', { class: 'status', role: 'status' });
    const input = h('input', { type: 'file', id: 'upload-input', multiple: true, class: 'visually-hidden' });
    const drop = h(
      'label',
      { class: 'drop', for: 'upload-input', id: 'drop-zone' },
      h('strong', { text: 'Add story files' }),
      h('span', { text: 'Drop a story bank, a brag document or notes here, or choose files. Markdown and plain text.' }),
    );
    const coverage = h('section', { class: 'card', id: 'coverage' }, h('h2', { text: 'Coverage' }), h('p', { class: 'muted', text: 'Loading…' }));
    const stories = h('section', { class: 'card', id: 'stories' }, h('h2', { text: 'Stories' }), h('p', { class: 'muted', text: 'Loading…' }));
    main.replaceChildren(title('Your stories'), h('section', { class: 'card' }, input, drop, status), coverage, stories);

    async function upload(files) {
      if (!files.length) return;
      const form = new FormData();
      for (const f of files) form.append('file', f, f.name);
      status.replaceChildren(h('span', { class: 'muted', text: 'Uploading ' + files.length + ' file(s)…' }));
      try {
        const report = await api('POST', '/v1/documents/upload', form);
        const c = report.counts;
        status.replaceChildren(
          h('span', { text: `Added ${c.added}, changed ${c.changed}, unchanged ${c.unchanged}, deleted ${c.deleted}, skipped ${c.skipped}.` }),
        );
        await Promise.all([loadCoverage(), loadStories()]);
      } catch (err) {
        status.replaceChildren(errorBox(err));
      }
    }
    input.addEventListener('change', () => upload([...input.files]));
    drop.addEventListener('dragover', (ev) => {
      ev.preventDefault();
      drop.classList.add('over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (ev) => {
      ev.preventDefault();
      drop.classList.remove('over');
      upload([...ev.dataTransfer.files]);
    });

    async function loadCoverage() {
      try {
        coverage.replaceChildren(h('h2', { text: 'Coverage' }), coverageGrid(await api('GET', '/v1/coverage')));
      } catch (err) {
        coverage.replaceChildren(h('h2', { text: 'Coverage' }), errorBox(err));
      }
    }

    async function loadStories() {
      try {
        const page = await api('GET', '/v1/stories?limit=200');
        stories.replaceChildren(h('h2', { text: `Stories (${page.total})` }), storyList(page, loadAll));
      } catch (err) {
        stories.replaceChildren(h('h2', { text: 'Stories' }), errorBox(err));
      }
    }

    function loadAll() {
      return Promise.all([loadCoverage(), loadStories()]);
    }
    await loadAll();
  }

  function coverageGrid(report) {
    if (!report.competencies.length) return h('p', { class: 'muted', text: 'No competencies configured.' });
    // Four level columns on a wide screen; one "Level" column on a phone.
    const head = h(
      'tr',
      {},
      h('th', { scope: 'col', text: 'Competency' }),
      LEVELS.map((l) => h('th', { scope: 'col', class: 'level-col', text: cap(l) })),
      h('th', { scope: 'col', class: 'level-one', text: 'Level' }),
      h('th', { scope: 'col', class: 'wide', text: 'Best story' }),
    );
    const rows = report.competencies.map((c) => {
      const level = c.gap ? 'gap' : c.level;
      const best = c.stories && c.stories[0];
      return h(
        'tr',
        { dataset: { competency: c.id, level } },
        h('th', { scope: 'row', text: c.name }),
        LEVELS.map((l) => h('td', { class: 'level-col' + (l === level ? ' hit level-' + l : '') }, l === level ? h('span', { text: l }) : '')),
        h('td', { class: 'level-one' }, badge(level)),
        h('td', { class: 'wide', text: best ? best.title : '—' }),
      );
    });
    const gaps = report.competencies.filter((c) => c.gap).length;
    return h(
      'div',
      {},
      h('p', { class: 'muted', text: `${report.competencies.length} competencies, ${gaps} without a story that fits (gap). Each row shows the best level any of your stories reaches.` }),
      h('div', { class: 'scroll' }, h('table', { class: 'grid coverage' }, h('thead', {}, head), h('tbody', {}, rows))),
    );
  }

  function storyList(page, reload) {
    if (!page.stories.length) return h('p', { class: 'muted', text: 'No stories yet: add your files above.' });
    return h(
      'ul',
      { class: 'stories' },
      page.stories.map((s) => {
        const del = h('button', { type: 'button', class: 'danger small', text: 'Delete', 'aria-label': 'Delete ' + s.title });
        del.addEventListener('click', async () => {
          if (!window.confirm('Delete "' + s.title + '" from the store? Ingesting its file again brings it back.')) return;
          busy(del, true);
          try {
            await api('DELETE', '/v1/stories/' + encodeURIComponent(s.id));
            await reload();
          } catch (err) {
            del.after(errorBox(err));
            busy(del, false);
          }
        });
        return h(
          'li',
          { class: 'story', dataset: { id: s.id } },
          h('div', { class: 'story-head' }, h('strong', { text: s.title }), del),
          h('div', { class: 'muted', text: `${basename(s.source)}, lines ${s.lines.start}–${s.lines.end}` }),
          s.tags.length ? h('div', { class: 'tags' }, s.tags.map((t) => h('span', { class: 'tag', text: t }))) : null,
        );
      }),
    );
  }

  // ---- match ------------------------------------------------------------------------

  async function matchPage() {
    const question = h('textarea', { id: 'match-question', rows: 2, required: true, placeholder: 'Tell me about a time you disagreed with your manager.' });
    const submit = h('button', { type: 'submit', text: 'Find my stories' });
    const results = h('div', { id: 'match-results', 'aria-live': 'polite' });
    const form = h('form', { class: 'card' }, h('label', { for: 'match-question', text: 'Interview question' }), question, submit);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      busy(submit, true);
      results.replaceChildren(h('p', { class: 'muted', text: 'Matching…' }));
      try {
        const response = await api('POST', '/v1/stories/match', { question: question.value, top_k: 5 });
        results.replaceChildren(await matchResults(response));
      } catch (err) {
        results.replaceChildren(errorBox(err));
      } finally {
        busy(submit, false);
      }
    });
    main.replaceChildren(title('Which story fits?'), form, results);
  }

  async function matchResults(response) {
    const out = h('div', {});
    if (response.gap) {
      out.append(h('div', { class: 'banner gap', role: 'alert', id: 'gap-banner' }, h('strong', { text: 'Gap: ' }), response.gap.message));
    }
    if (response.competencies && response.competencies.length) {
      out.append(h('p', { class: 'muted', text: 'The question asks about: ' + response.competencies.slice(0, 3).map((c) => c.name).join(', ') }));
    }
    if (!response.stories.length) {
      out.append(h('p', { text: 'No stories yet: add your files on the Stories page.' }));
    }
    const details = await Promise.all(
      response.stories.map((s) => api('GET', '/v1/stories/' + encodeURIComponent(s.id)).catch(() => null)),
    );
    response.stories.forEach((s, i) => out.append(matchCard(s, details[i])));
    if (response.related_notes && response.related_notes.length) {
      out.append(h('section', { class: 'card' }, h('h2', { text: 'Related notes' }), list(response.related_notes, (n) => [h('strong', { text: n.title }), ' ', h('span', { class: 'muted', text: basename(n.source) })])));
    }
    return out;
  }

  function matchCard(s, detail) {
    const card = h(
      'article',
      { class: 'card match', dataset: { id: s.id, fit: s.fit } },
      h('div', { class: 'story-head' }, h('h2', {}, `${s.rank}. `, s.title), badge(s.fit)),
      h('div', { class: 'muted', text: `fit ${fmt(s.fit_score, 2)} · ${basename(s.source)}, lines ${s.lines.start}–${s.lines.end}` }),
      s.tags.length ? h('div', { class: 'tags' }, s.tags.map((t) => h('span', { class: 'tag', text: t }))) : null,
    );
    const evidence = s.evidence.map((e) => e.text);
    if (detail && detail.sections) {
      card.append(h('h3', { text: 'The story, with the evidence marked' }), storyText(detail.sections, evidence));
    } else if (evidence.length) {
      card.append(h('h3', { text: 'Evidence' }), list(evidence, (t) => h('mark', { text: t })));
    }
    if (s.stress.length) card.append(h('h3', { text: 'Stress' }), list(s.stress));
    if (s.avoid.length) card.append(h('h3', { text: 'Avoid' }), list(s.avoid));
    return card;
  }

  /** The story's sections with every evidence sentence wrapped in <mark>. */
  function storyText(sections, evidence) {
    const box = h('div', { class: 'story-text' });
    for (const section of sections) {
      const p = h('p', {}, h('span', { class: 'section-name', text: cap(section.section) + ': ' }));
      let text = section.text;
      // Find each evidence sentence (whitespace may differ) and mark it.
      const marks = [];
      for (const sentence of evidence) {
        const pattern = sentence.trim().split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+');
        const m = new RegExp(pattern).exec(text);
        if (m) marks.push([m.index, m.index + m[0].length]);
      }
      marks.sort((a, b) => a[0] - b[0]);
      let at = 0;
      for (const [from, to] of marks) {
        if (from < at) continue;
        p.append(text.slice(at, from), h('mark', { class: 'evidence', text: text.slice(from, to) }));
        at = to;
      }
      p.append(text.slice(at));
      box.append(p);
    }
    return box;
  }

  // ---- critique ---------------------------------------------------------------------

  /** An answer box with a file picker that reads a transcript file into it. */
  function transcriptInput(prefix) {
    const box = h('textarea', { id: prefix + '-transcript', rows: 8, required: true, placeholder: 'Type or paste your answer: plain text, WebVTT, SRT or Whisper JSON.' });
    const file = h('input', { id: prefix + '-file', type: 'file', accept: '.txt,.md,.vtt,.srt,.json,text/plain,application/json' });
    file.addEventListener('change', async () => {
      if (file.files[0]) box.value = await file.files[0].text();
    });
    const fields = [
      h('label', { for: box.id, text: 'Your answer' }),
      box,
      h('div', { class: 'row' }, h('label', { for: file.id, class: 'inline', text: 'or upload a transcript file:' }), file),
    ];
    return { box, fields };
  }

  async function critiquePage() {
    const question = h('input', { id: 'critique-question', type: 'text', placeholder: 'Taken from the transcript if it has the interviewer’s question' });
    const answer = transcriptInput('critique');
    const transcript = answer.box;
    const submit = h('button', { type: 'submit', text: 'Critique my answer' });
    const results = h('div', { id: 'critique-results', 'aria-live': 'polite' });
    const form = h(
      'form',
      { class: 'card' },
      h('label', { for: 'critique-question', text: 'Question (optional)' }),
      question,
      answer.fields,
      submit,
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      busy(submit, true);
      results.replaceChildren(h('p', { class: 'muted', text: 'Analysing…' }));
      try {
        const body = { transcript: transcript.value };
        if (question.value.trim()) body.question = question.value.trim();
        const critique = await api('POST', '/v1/answers/critique', body);
        results.replaceChildren(critiqueView(critique));
      } catch (err) {
        results.replaceChildren(errorBox(err));
      } finally {
        busy(submit, false);
      }
    });
    main.replaceChildren(title('Feedback on an answer'), form, results);
  }

  function critiqueView(c) {
    const a = c.analysis;
    const out = h('div', { class: 'critique' });
    out.append(
      h(
        'section',
        { class: 'card summary' },
        h('div', { class: 'overall' }, h('span', { class: 'big', id: 'overall', text: fmt(c.overall) }), h('span', { text: ' / 5 overall' })),
        h('p', {}, h('strong', { text: 'Question: ' }), c.question || '—'),
        h('p', { class: 'muted', text: llmLine(c) }),
      ),
    );
    if (c.off_topic) out.append(h('div', { class: 'banner gap', role: 'alert' }, h('strong', { text: 'Off topic: ' }), c.off_topic.finding));
    out.append(h('section', { class: 'card', id: 'timeline-card' }, h('h2', { text: 'STAR timeline' }), timeline(a)));
    out.append(h('section', { class: 'card' }, h('h2', { text: 'Pace' }), paceView(a)));
    out.append(h('section', { class: 'card' }, h('h2', { text: 'Scores' }), rubric(c.scores)));
    if (a.findings.length) out.append(h('section', { class: 'card' }, h('h2', { text: 'Findings' }), list(a.findings)));
    if (c.changes.length) out.append(h('section', { class: 'card' }, h('h2', { text: 'What to change' }), list(c.changes, (ch) => [h('strong', { text: cap(ch.part) + ': ' }), ch.change])));
    if (c.follow_ups.length) out.append(h('section', { class: 'card' }, h('h2', { text: 'Follow-up questions to expect' }), list(c.follow_ups)));
    if (c.outline && c.outline.parts.length) {
      out.append(h('section', { class: 'card' }, h('h2', { text: 'Outline' }), h('p', { class: 'muted', text: c.outline.label }), list(c.outline.parts, (p) => [h('strong', { text: cap(p.part) + ': ' }), p.text])));
    }
    out.append(groundingView(c.grounding));
    return out;
  }

  function llmLine(c) {
    if (c.llm === 'used') return 'Scored by the LLM, every score checked against the measured facts.';
    return 'Deterministic analysis' + (c.llm_reason ? ' (' + c.llm_reason + ')' : '') + '.';
  }

  /** The answer as one bar: STAR segments in proportion, fillers as ticks, long pauses as gaps. */
  function timeline(a) {
    const t = a.timeline;
    const total = t.end - t.start;
    const unit = t.unit === 'seconds' ? 's' : 'words';
    if (!(total > 0)) return h('p', { class: 'muted', text: 'The answer is empty.' });
    const pct = (x) => ((x - t.start) / total) * 100;
    const caption = h('p', { class: 'timeline-caption', id: 'timeline-caption', 'aria-live': 'polite', text: 'Hover over or tab to a sentence to read it.' });
    const bar = h('div', { class: 'timeline-bar', id: 'timeline-bar', role: 'group', 'aria-label': 'STAR timeline' });
    for (const s of t.segments) {
      const width = pct(s.end) - pct(s.start);
      bar.append(
        h(
          'div',
          {
            class: 'segment part-' + s.part,
            dataset: { part: s.part, start: s.start, end: s.end },
            style: { left: pct(s.start) + '%', width: width + '%' },
            title: `${cap(s.part)}: ${fmt(s.start)}–${fmt(s.end)} ${unit}`,
          },
          h('span', { class: 'segment-label', text: width > 7 ? cap(s.part) : s.part[0].toUpperCase() }),
        ),
      );
    }
    for (const p of a.pauses || []) {
      bar.append(h('div', { class: 'pause', dataset: { start: p.start, end: p.end }, style: { left: pct(p.start) + '%', width: Math.max(pct(p.end) - pct(p.start), 0.4) + '%' }, title: `Pause of ${fmt(p.duration_seconds)} s` }));
    }
    for (const f of t.fillers) {
      bar.append(h('span', { class: 'filler', dataset: { term: f.term, at: f.at }, style: { left: pct(f.at) + '%' }, title: `Filler “${f.term}” at ${fmt(f.at)} ${unit}` }));
    }
    const strip = h('div', { class: 'sentence-strip', role: 'list', 'aria-label': 'Sentences' });
    for (const s of t.sentences) {
      const sentence = a.sentences[s.first_sentence];
      const cell = h('span', {
        class: 'sentence part-' + s.part,
        tabindex: 0,
        role: 'listitem',
        'aria-label': `${cap(s.part)}: ${sentence ? sentence.text : ''}`,
        style: { left: pct(s.start) + '%', width: Math.max(pct(s.end) - pct(s.start), 0.5) + '%' },
      });
      const show = () => {
        caption.replaceChildren(h('strong', { text: `${cap(s.part)}, ${fmt(s.start)}–${fmt(s.end)} ${unit}: ` }), sentence ? sentence.text : '');
      };
      cell.addEventListener('mouseenter', show);
      cell.addEventListener('focus', show);
      strip.append(cell);
    }
    const shares = a.star.time_shares || a.star.word_shares;
    const legend = h(
      'ul',
      { class: 'legend' },
      PARTS.map((p) => h('li', {}, h('span', { class: 'swatch part-' + p }), `${cap(p)} ${Math.round(shares[p] * 100)}%`)),
      h('li', {}, h('span', { class: 'swatch filler-swatch' }), `Fillers (${t.fillers.length})`),
      t.unit === 'seconds' ? h('li', {}, h('span', { class: 'swatch pause' }), `Long pauses (${(a.pauses || []).length})`) : null,
    );
    const axis = h('div', { class: 'axis' }, h('span', { text: `${fmt(t.start, 0)} ${unit}` }), h('span', { text: `${fmt(t.end, 0)} ${unit}` }));
    const facts = h(
      'dl',
      { class: 'facts' },
      fact('Length', `${a.word_count} words, ${fmt(a.duration_seconds, 0)} s${a.duration_estimated ? ' (estimated)' : ''}`),
      fact('Fillers', `${a.fillers.total} (${fmt(a.fillers.per_minute)} a minute)`),
      fact('Hedges', `${a.hedges.total}`),
      fact('“I” vs “we”', `${a.ownership.i_count} I, ${a.ownership.we_count} we`),
      fact('Numbers', `${a.quantified_results.length} (${a.quantified_results.filter((q) => q.in_result).length} in the Result)`),
    );
    return h('div', { class: 'timeline' }, bar, strip, axis, legend, caption, facts, t.unit === 'words' ? h('p', { class: 'muted', text: 'Plain text has no clock: the bar is measured in words.' }) : null);
  }

  function fact(name, value) {
    return [h('dt', { text: name }), h('dd', { text: value })];
  }

  function paceView(a) {
    const pace = a.timeline.pace;
    if (!pace || !pace.points.length) {
      return h('p', { class: 'muted', id: 'pace-note', text: a.pace_note || 'Pace not measured.' });
    }
    const el = h('div', { class: 'chart', id: 'pace-chart' });
    const box = h('div', {}, h('p', { text: `${fmt(a.pace_wpm, 0)} words a minute overall (${cap(a.pace_band)}). Each point is a ${pace.window_seconds} s window; the shaded band is comfortable (${pace.comfortable_min_wpm}–${pace.comfortable_max_wpm}).` }), el);
    requestAnimationFrame(() =>
      lineChart(el, {
        xs: pace.points.map((p) => (p.start + p.end) / 2),
        xLabel: 'seconds',
        yLabel: 'words a minute',
        band: [pace.comfortable_min_wpm, pace.comfortable_max_wpm],
        bandLabel: 'comfortable',
        series: [{ label: 'pace', values: pace.points.map((p) => p.wpm) }],
      }),
    );
    return box;
  }

  function rubric(scores) {
    const rows = scores.map((s) => {
      const notes = [];
      if (s.cap) notes.push(h('div', { class: 'cap', text: `Capped at ${s.cap.max}: ${s.cap.reason}` }));
      if (s.floor) notes.push(h('div', { class: 'floor', text: `At least ${s.floor.min}: ${s.floor.reason}` }));
      if (s.rejected) notes.push(h('div', { class: 'muted', text: `LLM score ${s.llm_score ?? '–'} not used: ${s.rejected}` }));
      return h(
        'tr',
        { dataset: { dimension: s.dimension } },
        h('th', { scope: 'row', text: cap(s.dimension) }),
        h('td', { class: 'score', text: s.score === null ? '–' : `${s.score} / 5` }),
        h('td', {}, s.quote ? h('q', { text: s.quote }) : null, h('div', { text: s.reason }), notes, h('div', { class: 'muted small', text: 'source: ' + s.source })),
      );
    });
    return h('div', { class: 'scroll' }, h('table', { class: 'grid rubric' }, h('thead', {}, h('tr', {}, h('th', { text: 'Dimension' }), h('th', { text: 'Score' }), h('th', { text: 'Why' }))), h('tbody', {}, rows)));
  }

  function groundingView(g) {
    const box = h('section', { class: 'card' }, h('h2', { text: 'Your stories' }), h('p', { text: g.message }));
    if (g.better_story) {
      box.append(h('div', { class: 'banner better', id: 'better-story' }, h('strong', { text: 'A better-fitting story: ' }), g.better_story.title, ' ', g.better_story.fit ? badge(g.better_story.fit) : null));
      if (g.better_story_evidence.length) box.append(list(g.better_story_evidence, (e) => h('mark', { text: e.text })));
    }
    return box;
  }

  // ---- practice ---------------------------------------------------------------------

  const practice = { session: null, question: null, last: null };

  async function practicePage() {
    const area = h('div', { id: 'practice' });
    main.replaceChildren(title('Mock interview'), area);
    if (practice.session && practice.question) {
      area.replaceChildren(...(practice.last && practice.last.critique ? [shortCritique(practice.last)] : []), questionCard(area));
      return;
    }
    area.replaceChildren(startForm(area), await sessionList(area));
  }

  function startForm(area) {
    const job = h('textarea', { id: 'practice-job', rows: 4, placeholder: 'Paste a job description to practise its competencies (optional).' });
    const count = h('input', { id: 'practice-count', type: 'number', min: 1, max: 20, value: 3 });
    const submit = h('button', { type: 'submit', text: 'Start the interview' });
    const error = h('div', {});
    const form = h(
      'form',
      { class: 'card' },
      h('label', { for: 'practice-job', text: 'Job description' }),
      job,
      h('label', { for: 'practice-count', text: 'Questions' }),
      count,
      submit,
      error,
    );
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      busy(submit, true);
      try {
        const body = { questions: Number(count.value) };
        if (job.value.trim()) body.job = job.value;
        const view = await api('POST', '/v1/sessions', body);
        practice.session = view.session;
        practice.question = view.question;
        practice.last = null;
        area.replaceChildren(questionCard(area));
      } catch (err) {
        error.replaceChildren(errorBox(err));
        busy(submit, false);
      }
    });
    return form;
  }

  async function sessionList(area) {
    let sessions = [];
    try {
      sessions = (await api('GET', '/v1/sessions')).sessions;
    } catch (err) {
      return errorBox(err);
    }
    if (!sessions.length) return h('p', { class: 'muted', text: 'No earlier interviews.' });
    return h(
      'section',
      { class: 'card' },
      h('h2', { text: 'Earlier interviews' }),
      list(sessions.slice(0, 10), (s) => {
        const label = `${new Date(s.created_at).toLocaleString()} · ${s.answered}/${s.questions} answered` + (s.overall !== null ? ` · ${fmt(s.overall)} overall` : '');
        if (s.finished) return h('span', { text: label + ' · finished' });
        const resume = h('button', { type: 'button', class: 'small', text: 'Resume' });
        resume.addEventListener('click', async () => {
          const view = await api('GET', '/v1/sessions/' + encodeURIComponent(s.id));
          practice.session = view.session;
          practice.question = view.question;
          area.replaceChildren(questionCard(area));
        });
        return [label + ' ', resume];
      }),
    );
  }

  function questionCard(area) {
    const q = practice.question;
    const input = transcriptInput('practice');
    const answer = input.box;
    const submit = h('button', { type: 'submit', text: 'Submit answer' });
    const skip = h('button', { type: 'button', class: 'secondary', text: 'Skip' });
    const error = h('div', {});
    const form = h(
      'form',
      { class: 'card question' },
      h('p', { class: 'muted', text: `${q.follow_up ? 'Follow-up to question' : 'Question'} ${q.number} of ${q.of} · ${cap(q.competency)}` }),
      h('h2', { id: 'practice-question', text: q.text }),
      input.fields,
      h('div', { class: 'row' }, submit, skip),
      error,
    );
    async function send(body, button) {
      busy(button, true);
      try {
        const result = await api('POST', `/v1/sessions/${encodeURIComponent(practice.session.id)}/answers`, body);
        practice.last = result;
        practice.question = result.next;
        area.replaceChildren(...answerResult(result, area));
      } catch (err) {
        error.replaceChildren(errorBox(err));
        busy(button, false);
      }
    }
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (!answer.value.trim()) {
        error.replaceChildren(errorBox('Write an answer first, or skip the question.'));
        return;
      }
      send({ transcript: answer.value }, submit);
    });
    skip.addEventListener('click', () => send({ skip: true }, skip));
    return form;
  }

  function shortCritique(result) {
    const c = result.critique;
    return h(
      'section',
      { class: 'card short-critique', id: 'short-critique' },
      h('h2', {}, 'Feedback: ', h('span', { class: 'big', text: fmt(c.overall) }), ' / 5'),
      h('p', { class: 'muted', text: `${c.words} words${c.pace_estimated ? '' : ', ' + fmt(c.wpm, 0) + ' words a minute'}` }),
      h('dl', { class: 'facts' }, Object.entries(c.scores).map(([d, s]) => fact(cap(d), `${s} / 5`))),
      c.off_topic ? h('div', { class: 'banner gap', text: c.off_topic.finding }) : null,
      c.caps.length ? list(c.caps) : null,
      c.changes.length ? [h('h3', { text: 'What to change' }), list(c.changes)] : null,
    );
  }

  function answerResult(result, area) {
    const out = [];
    if (result.critique) out.push(shortCritique(result));
    if (result.finished) {
      practice.session = null;
      practice.question = null;
      out.push(summaryCard(result.summary));
      const again = h('button', { type: 'button', text: 'Practise again' });
      again.addEventListener('click', () => route());
      out.push(again);
      return out;
    }
    out.push(questionCard(area));
    return out;
  }

  function summaryCard(summary) {
    if (!summary) return h('p', { text: 'Interview finished.' });
    return h(
      'section',
      { class: 'card', id: 'practice-summary' },
      h('h2', { text: 'Interview summary' }),
      h('p', { text: `${summary.answered} answered, ${summary.skipped} skipped, ${fmt(summary.overall)} overall.` }),
      h('dl', { class: 'facts' }, Object.entries(summary.scores).map(([d, s]) => fact(cap(d), fmt(s)))),
      summary.next_focus ? h('p', {}, h('strong', { text: 'Next focus: ' }), summary.next_focus) : null,
    );
  }

  // ---- progress ---------------------------------------------------------------------

  async function progressPage() {
    main.replaceChildren(title('Progress'), h('p', { class: 'muted', text: 'Loading…' }));
    let report;
    try {
      report = await api('GET', '/v1/progress');
    } catch (err) {
      main.replaceChildren(title('Progress'), errorBox(err));
      return;
    }
    const out = [title('Progress'), h('p', { id: 'progress-summary', text: `${report.answers} answers over ${report.days_practised} day(s).` })];
    if (!report.answers) {
      out.push(h('p', { class: 'muted', text: 'Answer a question on the Critique or Practice page to start your history.' }));
      main.replaceChildren(...out);
      return;
    }
    const pending = [];
    // Rubric scores share the 1-5 scale; delivery metrics keep their own.
    const section = (name, trends, scale) => {
      const grid = h('div', { class: 'charts' });
      for (const trend of trends) {
        const points = trend.points.filter((p) => p.value !== null);
        const direction = trend.direction === 'too_few' ? 'too few answers for a trend' : trend.direction.replace(/_/g, ' ');
        const caption = h('figcaption', {}, h('strong', { text: cap(trend.metric) }), ` · ${direction}`);
        if (!points.length) {
          grid.append(h('figure', { class: 'card' }, caption, h('p', { class: 'muted', text: 'No scores yet.' })));
          continue;
        }
        const el = h('div', { class: 'chart', dataset: { metric: trend.metric } });
        grid.append(h('figure', { class: 'card' }, caption, el));
        pending.push([el, { ...trend, scale }, points]);
      }
      return h('section', {}, h('h2', { text: name }), grid);
    };
    out.push(section('Rubric scores (1 to 5)', report.dimensions, [1, 5]), section('Delivery', report.delivery, undefined));
    out.push(h('section', { class: 'card' }, h('h2', { text: 'Competencies' }), competencyTable(report)));
    main.replaceChildren(...out);
    requestAnimationFrame(() => {
      for (const [el, trend, points] of pending) {
        lineChart(el, {
          xs: points.map((p) => Date.parse(p.at) / 1000),
          time: true,
          xLabel: 'date',
          yRange: trend.scale,
          height: 170,
          series: [{ label: trend.metric, values: points.map((p) => p.value) }],
        });
      }
    });
  }

  function competencyTable(report) {
    const rows = report.competencies.map((c) =>
      h('tr', {}, h('th', { scope: 'row', text: cap(c.id) }), h('td', { text: String(c.answers) }), h('td', { text: fmt(c.mean_overall) }), h('td', { text: c.needed === null ? '–' : c.needed ? 'yes' : 'no' })),
    );
    return h(
      'div',
      {},
      h('div', { class: 'scroll' }, h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, h('th', { text: 'Competency' }), h('th', { text: 'Answers' }), h('th', { text: 'Mean overall' }), h('th', { text: 'Job needs it' }))), h('tbody', {}, rows))),
      report.not_practised.length ? h('p', {}, h('strong', { text: 'Not practised yet, needed by your job: ' }), report.not_practised.map(cap).join(', ')) : null,
    );
  }

  // ---- routing ----------------------------------------------------------------------

  const PAGES = { stories: storiesPage, match: matchPage, critique: critiquePage, practice: practicePage, progress: progressPage };

  async function route() {
    const name = (location.hash.replace(/^#\/?/, '') || 'stories').split('?')[0];
    const page = PAGES[name] || storiesPage;
    for (const a of document.querySelectorAll('nav a')) {
      if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    charts.length = 0;
    document.body.dataset.page = name;
    try {
      await page();
    } catch (err) {
      main.replaceChildren(errorBox(err));
    }
    document.body.dataset.ready = name;
  }

  document.getElementById('forget-key').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_STORAGE);
    auth.key = null;
    location.reload();
  });
  document.getElementById('forget-key').hidden = !auth.key;
  window.addEventListener('hashchange', route);
  route();
})();
