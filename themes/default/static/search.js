// casebook search: answers queries in the browser from the split index that
// `casebook build` writes under search/ (docs/search.md describes both).
// No dependencies and no server: every file is fetched relative to the page, and
// only the pieces a query needs are fetched, each once.
(function () {
  "use strict";

  var app = document.getElementById("search-app");
  if (!app) return;

  // ---- Text: the same rules as src/search/text.rs -------------------------------

  var MAX_WORD = 40, MAX_COMPOUND = 64;
  var WORD_RE = /[\p{Alphabetic}\p{N}]/u, LETTER_RE = /\p{Alphabetic}/u, DIGIT_RE = /\p{N}/u;

  function isWordChar(ch) {
    if (ch.length === 1 && ch < "\x80") return /[A-Za-z0-9]/.test(ch);
    return WORD_RE.test(ch);
  }
  function charAt(text, i) {
    return String.fromCodePoint(text.codePointAt(i));
  }

  // Calls emit(lowercased, position, isCompound, start, end) for every word and
  // compound of text, like for_each_word in Rust (offsets are UTF-16 indexes).
  function scan(text, emit) {
    var pos = 0, i = 0, n = text.length, chain = null;
    while (i < n) {
      var ch = charAt(text, i);
      if (!isWordChar(ch)) { i += ch.length; continue; }
      var start = i, letter = false, digit = false, count = 0;
      while (i < n) {
        ch = charAt(text, i);
        if (!isWordChar(ch)) break;
        if (ch < "\x80") {
          if (ch >= "0" && ch <= "9") digit = true; else letter = true;
        } else {
          if (LETTER_RE.test(ch)) letter = true;
          if (DIGIT_RE.test(ch)) digit = true;
        }
        count++;
        i += ch.length;
      }
      var end = i;
      if (count <= MAX_WORD) emit(text.slice(start, end).toLowerCase(), pos, false, start, end);
      chain = chain
        ? { start: chain.start, pos: chain.pos, words: chain.words + 1, letter: chain.letter || letter, digit: chain.digit || digit }
        : { start: start, pos: pos, words: 1, letter: letter, digit: digit };
      pos++;
      if (end + 1 < n && "-_.".indexOf(text[end]) >= 0 && isWordChar(charAt(text, end + 1))) {
        i = end + 1;
        continue;
      }
      var c = chain;
      chain = null;
      var compound = text.slice(c.start, end);
      if (c.words > 1 && c.letter && c.digit && Array.from(compound).length <= MAX_COMPOUND) {
        emit(compound.toLowerCase(), c.pos, true, c.start, end);
      }
    }
    return pos;
  }

  var stopWords = new Set();

  // The index term of a word, or null for a stop word.
  function termOf(word, isCompound) {
    if (isCompound) return word;
    if (stopWords.has(word)) return null;
    return /^[a-z]+$/.test(word) ? stem(word) : word;
  }

  // ---- The Snowball English (Porter2) stemmer, as rust-stemmers implements it ----

  var stem = (function () {
    var EXCEPTIONS = {
      skis: "ski", skies: "sky", dying: "die", lying: "lie", tying: "tie", idly: "idl",
      gently: "gentl", ugly: "ugli", early: "earli", only: "onli", singly: "singl",
      sky: "sky", news: "news", howe: "howe", atlas: "atlas", cosmos: "cosmos", bias: "bias",
      andes: "andes"
    };
    var AFTER_1A = ["inning", "outing", "canning", "herring", "earring", "proceed", "exceed", "succeed"];
    var STEP2 = [
      ["ization", "ize"], ["ational", "ate"], ["fulness", "ful"], ["ousness", "ous"],
      ["iveness", "ive"], ["tional", "tion"], ["biliti", "ble"], ["lessli", "less"],
      ["entli", "ent"], ["ation", "ate"], ["alism", "al"], ["aliti", "al"], ["ousli", "ous"],
      ["iviti", "ive"], ["fulli", "ful"], ["enci", "ence"], ["anci", "ance"], ["abli", "able"],
      ["izer", "ize"], ["ator", "ate"], ["alli", "al"], ["bli", "ble"], ["ogi", "og"], ["li", ""]
    ];
    var STEP3 = [
      ["ational", "ate"], ["tional", "tion"], ["alize", "al"], ["icate", "ic"], ["iciti", "ic"],
      ["ative", ""], ["ical", "ic"], ["ness", ""], ["ful", ""]
    ];
    var STEP4 = [
      "ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "ism", "ate", "iti", "ous",
      "ive", "ize", "ion", "al", "er", "ic"
    ];
    function vowel(c) { return "aeiouy".indexOf(c) >= 0; }
    function ends(w, s) { return w.length >= s.length && w.slice(w.length - s.length) === s; }
    function find(w, list) {
      for (var i = 0; i < list.length; i++) {
        var s = typeof list[i] === "string" ? list[i] : list[i][0];
        if (ends(w, s)) return list[i];
      }
      return null;
    }
    function hasVowel(w, from, to) {
      for (var i = from; i < to; i++) if (vowel(w[i])) return true;
      return false;
    }
    // A short syllable ends at `at`.
    function shortv(w, at) {
      if (at >= 3 && !vowel(w[at - 1]) && "wxY".indexOf(w[at - 1]) < 0 && vowel(w[at - 2]) && !vowel(w[at - 3])) return true;
      return at === 2 && !vowel(w[1]) && vowel(w[0]);
    }
    // The end of the region after the first non-vowel following a vowel, from `from`.
    function region(w, from) {
      for (var i = from; i < w.length - 1; i++) {
        if (vowel(w[i]) && !vowel(w[i + 1])) return i + 2;
      }
      return w.length;
    }
    return function (word) {
      if (Object.prototype.hasOwnProperty.call(EXCEPTIONS, word)) return EXCEPTIONS[word];
      if (word.length < 3) return word;
      var w = word.split("");
      if (w[0] === "y") w[0] = "Y";
      for (var i = 0; i + 1 < w.length; i++) if (vowel(w[i]) && w[i + 1] === "y") w[i + 1] = "Y";
      w = w.join("");
      var p1, m = /^(gener|commun|arsen)/.exec(w);
      p1 = m ? m[0].length : region(w, 0);
      var p2 = region(w, p1);

      // Step 1a
      var s;
      if (ends(w, "sses")) w = w.slice(0, -2);
      else if (ends(w, "ied") || ends(w, "ies")) w = w.slice(0, -3) + (w.length - 3 > 1 ? "i" : "ie");
      else if (ends(w, "us") || ends(w, "ss")) { /* unchanged */ }
      else if (ends(w, "s") && hasVowel(w, 0, w.length - 2)) w = w.slice(0, -1);

      if (AFTER_1A.indexOf(w) < 0) {
        // Step 1b
        s = find(w, ["eedly", "ingly", "edly", "eed", "ing", "ed"]);
        if (s === "eed" || s === "eedly") {
          if (w.length - s.length >= p1) w = w.slice(0, -s.length) + "ee";
        } else if (s && hasVowel(w, 0, w.length - s.length)) {
          w = w.slice(0, -s.length);
          if (ends(w, "at") || ends(w, "bl") || ends(w, "iz")) w += "e";
          else if (/(bb|dd|ff|gg|mm|nn|pp|rr|tt)$/.test(w)) w = w.slice(0, -1);
          else if (w.length === p1 && shortv(w, w.length)) w += "e";
        }
        // Step 1c
        if (w.length > 2 && /[yY]$/.test(w) && !vowel(w[w.length - 2])) w = w.slice(0, -1) + "i";
        // Step 2
        s = find(w, STEP2);
        if (s && w.length - s[0].length >= p1) {
          var before = w[w.length - s[0].length - 1];
          if (s[0] === "ogi") { if (before === "l") w = w.slice(0, -3) + "og"; }
          else if (s[0] === "li") { if (before && "cdeghkmnrt".indexOf(before) >= 0) w = w.slice(0, -2); }
          else w = w.slice(0, -s[0].length) + s[1];
        }
        // Step 3
        s = find(w, STEP3);
        if (s && w.length - s[0].length >= p1) {
          if (s[0] !== "ative" || w.length - 5 >= p2) w = w.slice(0, -s[0].length) + s[1];
        }
        // Step 4
        s = find(w, STEP4);
        if (s && w.length - s.length >= p2) {
          if (s !== "ion" || /[st]$/.test(w.slice(0, -3))) w = w.slice(0, -s.length);
        }
        // Step 5
        if (ends(w, "e")) {
          var at = w.length - 1;
          if (at >= p2 || (at >= p1 && !shortv(w, at))) w = w.slice(0, -1);
        } else if (ends(w, "l")) {
          if (w.length - 1 >= p2 && w[w.length - 2] === "l") w = w.slice(0, -1);
        }
      }
      return w.replace(/Y/g, "y");
    };
  })();

  // ---- Fetching: each file once, gzip files inflated in the browser --------------

  var indexBase = new URL(app.getAttribute("data-index") || "./", document.baseURI);
  var siteRoot = new URL(app.getAttribute("data-root") || "../", document.baseURI);
  var files = new Map();

  // Opened from disk (file://), browsers refuse fetch(); the build writes next to
  // each index file a script twin, <path>.js, that calls casebookSearchFile with
  // the same bytes in base64. Those load through <script> tags, one per file, and
  // only when a query needs the file, exactly as fetch() would.
  var onDisk = location.protocol === "file:";
  var waiting = new Map();

  window.casebookSearchFile = function (path, base64) {
    var pending = waiting.get(path);
    if (!pending) return;
    waiting.delete(path);
    var text = atob(base64), bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    pending.resolve(bytes);
  };

  function scriptBytes(path) {
    return new Promise(function (resolve, reject) {
      waiting.set(path, { resolve: resolve });
      var script = document.createElement("script");
      script.src = new URL(path + ".js", indexBase).href;
      script.onerror = function () {
        waiting.delete(path);
        script.remove();
        reject(new Error("cannot load " + path + ".js"));
      };
      script.onload = function () {
        script.remove();
        if (waiting.delete(path)) reject(new Error(path + ".js does not hold " + path));
      };
      document.head.appendChild(script);
    });
  }

  function download(path) {
    if (onDisk) return scriptBytes(path);
    return fetch(new URL(path, indexBase)).then(function (response) {
      if (!response.ok) throw new Error("cannot load " + path + ": HTTP " + response.status);
      return response.arrayBuffer();
    }).then(function (buffer) { return new Uint8Array(buffer); });
  }

  function fetchBytes(path) {
    if (!files.has(path)) {
      files.set(path, download(path).then(function (bytes) {
        // Stored gzip; a host that already decoded it hands over the plain bytes.
        if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
        var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
        return new Response(stream).arrayBuffer().then(function (b) { return new Uint8Array(b); });
      }));
    }
    return files.get(path);
  }

  var decoder = new TextDecoder();

  function Reader(bytes, pos) { this.b = bytes; this.p = pos || 0; }
  Reader.prototype.varint = function () {
    var value = 0, scale = 1, byte;
    do {
      byte = this.b[this.p++];
      value += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80);
    return value;
  };
  Reader.prototype.bytes = function (n) {
    var out = this.b.subarray(this.p, this.p + n);
    this.p += n;
    return out;
  };
  // `shared` bytes of `prefix`, then a length-prefixed rest.
  Reader.prototype.rest = function (prefix) {
    var shared = this.varint(), rest = this.bytes(this.varint());
    var out = new Uint8Array(shared + rest.length);
    out.set(prefix.subarray(0, shared));
    out.set(rest, shared);
    return out;
  };

  // ---- The index ------------------------------------------------------------

  var manifest = null, facetDocs = null, facetsReady = null;
  var encoder = new TextEncoder();

  // Compares strings by code point, as Rust sorts them.
  function compare(a, b) {
    var x = encoder.encode(a), y = encoder.encode(b), n = Math.min(x.length, y.length);
    for (var i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  }

  // The number of the term chunk that would hold `term`.
  function chunkOf(term) {
    var lo = 0, hi = manifest.chunks.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (compare(manifest.chunks[mid], term) <= 0) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  var chunks = new Map();
  function loadChunk(n) {
    if (!chunks.has(n)) {
      chunks.set(n, fetchBytes("t/" + n + ".bin").then(function (bytes) {
        var r = new Reader(bytes), count = r.varint(), entries = [], previous = new Uint8Array(0);
        for (var i = 0; i < count; i++) {
          var key = r.rest(previous), variants = [], nv = r.varint();
          previous = key;
          for (var v = 0; v < nv; v++) variants.push(decoder.decode(r.rest(key)));
          var entry = { term: decoder.decode(key), variants: variants, df: r.varint() };
          var length = r.varint();
          if (length <= manifest.inline_postings) entry.postings = { bytes: r.bytes(length) };
          else entry.postings = { block: r.varint(), offset: r.varint(), length: length };
          entry.positions = { block: r.varint(), offset: r.varint(), length: r.varint() };
          entries.push(entry);
        }
        return entries;
      }));
    }
    return chunks.get(n);
  }

  function lookup(term) {
    return loadChunk(chunkOf(term)).then(function (entries) {
      for (var i = 0; i < entries.length; i++) if (entries[i].term === term) return entries[i];
      return null;
    });
  }

  // Terms starting with `prefix`, from at most a few chunks.
  function withPrefix(prefix) {
    var first = chunkOf(prefix), last = first;
    while (last + 1 < manifest.chunks.length && last - first < 3 &&
           manifest.chunks[last + 1].lastIndexOf(prefix, 0) === 0) last++;
    var loads = [];
    for (var n = first; n <= last; n++) loads.push(loadChunk(n));
    return Promise.all(loads).then(function (lists) {
      var out = [];
      lists.forEach(function (entries) {
        entries.forEach(function (e) { if (e.term.lastIndexOf(prefix, 0) === 0) out.push(e); });
      });
      return out;
    });
  }

  function slice(entry, kind, folder) {
    var place = entry[kind];
    if (place.bytes) return Promise.resolve(place.bytes);
    return fetchBytes(folder + "/" + place.block + ".bin").then(function (block) {
      return block.subarray(place.offset, place.offset + place.length);
    });
  }

  // {docs: [...], impacts: [...]} of a term.
  function postings(entry) {
    if (!entry.decoded) {
      entry.decoded = slice(entry, "postings", "p").then(function (bytes) {
        var r = new Reader(bytes), docs = [], impacts = [], doc = 0;
        while (r.p < bytes.length) {
          doc += r.varint();
          docs.push(doc);
          impacts.push(bytes[r.p++]);
        }
        return { docs: docs, impacts: impacts };
      });
    }
    return entry.decoded;
  }

  // Map doc -> positions of a term.
  function positions(entry) {
    return Promise.all([postings(entry), slice(entry, "positions", "x")]).then(function (both) {
      var docs = both[0].docs, r = new Reader(both[1]), out = new Map();
      for (var i = 0; i < docs.length; i++) {
        var count = r.varint(), list = [], at = 0;
        for (var k = 0; k < count; k++) { at += r.varint(); list.push(at); }
        out.set(docs[i], list);
      }
      return out;
    });
  }

  function idf(df) {
    var n = manifest.documents;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  var docChunks = new Map();
  function docMeta(doc) {
    var n = Math.floor(doc / manifest.doc_chunk);
    if (!docChunks.has(n)) {
      docChunks.set(n, fetchBytes("d/" + n + ".bin").then(function (bytes) {
        return JSON.parse(decoder.decode(bytes));
      }));
    }
    return docChunks.get(n).then(function (list) { return list[doc % manifest.doc_chunk]; });
  }

  function loadFacets() {
    return fetchBytes("facets.bin").then(function (bytes) {
      var r = new Reader(bytes), n = manifest.documents;
      facetDocs = manifest.facets.map(function (facet) {
        var perDoc = new Array(n);
        facet.values.forEach(function (_, value) {
          var count = r.varint(), doc = 0;
          for (var i = 0; i < count; i++) {
            doc += r.varint();
            (perDoc[doc] || (perDoc[doc] = [])).push(value);
          }
        });
        return perDoc;
      });
    });
  }

  // ---- Queries --------------------------------------------------------------

  // Clauses of a query: {terms: [...], prefix: "raw"} for a word (all its terms
  // are alternatives), {phrase: [{term, pos}]} for a quoted phrase, and
  // {compound, parts} for an id like INC-2024-0918.
  function parse(query) {
    var clauses = [], pieces = query.split('"');
    pieces.forEach(function (piece, i) {
      var quoted = i % 2 === 1 && i < pieces.length - 1;
      var words = [];
      scan(piece, function (word, pos, isCompound) {
        if (isCompound) {
          var parts = words.filter(function (w) { return w.pos >= pos; });
          words = words.filter(function (w) { return w.pos < pos; });
          if (!quoted) {
            words.push({ compound: word, parts: parts, pos: pos, end: true });
            return;
          }
          words = words.concat(parts);
          return;
        }
        var term = termOf(word, false);
        if (term !== null) words.push({ term: term, word: word, pos: pos });
      });
      if (quoted) {
        var phrase = [];
        words.forEach(function (w) { phrase.push({ term: w.term, pos: w.pos }); });
        if (phrase.length > 1) clauses.push({ phrase: phrase });
        else if (phrase.length === 1) clauses.push({ terms: [phrase[0].term], word: words[0].word, strict: true });
      } else {
        words.forEach(function (w) {
          if (w.compound) {
            clauses.push({ compound: w.compound, word: w.compound, parts: w.parts.map(function (p) { return { term: p.term, pos: p.pos }; }) });
          } else {
            clauses.push({ terms: [w.term], word: w.word });
          }
        });
      }
    });
    // The word being typed also matches longer words.
    var last = clauses[clauses.length - 1];
    if (last && last.word && /[^\s"]$/.test(query)) last.prefix = last.word;
    return clauses;
  }

  var PREFIX_MIN = 2, MAX_EXPANSIONS = 8, EXPANSION_WEIGHT = 0.8;

  // Entries for a word clause: its term, and when it is being typed, the terms
  // whose own form or a variant starts with what was typed (most frequent first);
  // when neither is in the index, the nearest spelling the index holds.
  function clauseEntries(clause) {
    return spelledEntries(clause).then(function (out) {
      if (out.length || !clause.word) return out;
      return corrections(clause.word, clause.terms[0]).then(function (found) {
        if (found.length) clause.corrected = found[0].form;
        return found.map(function (f) { return { entry: f.entry, weight: TYPO_WEIGHT }; });
      });
    });
  }

  var TYPO_MIN = 5, TYPO_LONG = 8, TYPO_WEIGHT = 0.7, MAX_CORRECTIONS = 2;

  // Edits (insert, delete, replace, swap two neighbours) from a to b, or
  // limit + 1 once there are more than `limit`.
  function editDistance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    var before = null, previous = [], row;
    for (var j = 0; j <= b.length; j++) previous.push(j);
    for (var i = 1; i <= a.length; i++) {
      row = [i];
      var least = i;
      for (j = 1; j <= b.length; j++) {
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var d = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost);
        if (before && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          d = Math.min(d, before[j - 2] + 1);
        }
        row.push(d);
        least = Math.min(least, d);
      }
      if (least > limit) return limit + 1;
      before = previous;
      previous = row;
    }
    return previous[b.length];
  }

  // Terms of the chunk that would hold `term` whose own form or one of whose
  // words is within one edit of `word` (two for words of eight letters or more):
  // a typing slip finds what was meant. Only words of five letters or more, and
  // only the chunk the lookup already loaded, so a slip costs no extra download
  // but the corrected term's postings.
  function corrections(word, term) {
    if (word.length < TYPO_MIN || !/^[a-z]+$/.test(word)) return Promise.resolve([]);
    var limit = word.length >= TYPO_LONG ? 2 : 1;
    return loadChunk(chunkOf(term)).then(function (entries) {
      var found = [];
      entries.forEach(function (e) {
        var best = null;
        [e.term].concat(e.variants).forEach(function (form) {
          var d = editDistance(word, form, limit);
          if (d <= limit && (!best || d < best.distance)) best = { entry: e, form: form, distance: d };
        });
        if (best) found.push(best);
      });
      found.sort(function (a, b) {
        return a.distance - b.distance || b.entry.df - a.entry.df || compare(a.entry.term, b.entry.term);
      });
      return found.slice(0, MAX_CORRECTIONS);
    });
  }

  function spelledEntries(clause) {
    var exact = lookup(clause.terms[0]);
    if (!clause.prefix || clause.prefix.length < PREFIX_MIN) {
      return exact.then(function (e) { return e ? [{ entry: e, weight: 1 }] : []; });
    }
    var p = clause.prefix, loads = [exact, withPrefix(p)];
    // Shorter terms whose variants continue with the typed text (connect ← connecti).
    for (var k = p.length - 1; k >= 3; k--) loads.push(lookup(p.slice(0, k)));
    return Promise.all(loads).then(function (found) {
      var seen = new Set(), out = [];
      if (found[0]) { seen.add(found[0].term); out.push({ entry: found[0], weight: 1 }); }
      var candidates = found[1].slice();
      found.slice(2).forEach(function (e) {
        if (e && e.variants.some(function (v) { return v.lastIndexOf(p, 0) === 0; })) candidates.push(e);
      });
      candidates.sort(function (a, b) { return b.df - a.df; });
      candidates.forEach(function (e) {
        if (seen.has(e.term) || out.length > MAX_EXPANSIONS) return;
        seen.add(e.term);
        out.push({ entry: e, weight: EXPANSION_WEIGHT });
      });
      return out;
    });
  }

  // Map doc -> score for the documents that match a list of alternatives.
  function scoreAlternatives(alternatives) {
    return Promise.all(alternatives.map(function (a) { return postings(a.entry); })).then(function (lists) {
      var scores = new Map();
      lists.forEach(function (list, i) {
        var w = alternatives[i].weight * idf(alternatives[i].entry.df) / 255;
        for (var k = 0; k < list.docs.length; k++) {
          var s = w * list.impacts[k], d = list.docs[k], old = scores.get(d);
          if (old === undefined || s > old) scores.set(d, s);
        }
      });
      return scores;
    });
  }

  function intersect(maps) {
    if (!maps.length) return new Map();
    maps.sort(function (a, b) { return a.size - b.size; });
    var out = new Map();
    maps[0].forEach(function (score, doc) {
      var total = score;
      for (var i = 1; i < maps.length; i++) {
        var s = maps[i].get(doc);
        if (s === undefined) return;
        total += s;
      }
      out.set(doc, total);
    });
    return out;
  }

  // Documents where the phrase's terms stand at the phrase's relative positions.
  function scorePhrase(phrase) {
    if (phrase.length < 2) {
      return Promise.all(phrase.map(function (p) { return lookup(p.term); })).then(function (found) {
        return scoreAlternatives(found.filter(Boolean).map(function (e) { return { entry: e, weight: 1 }; }));
      });
    }
    return Promise.all(phrase.map(function (p) { return lookup(p.term); })).then(function (entries) {
      if (entries.some(function (e) { return !e; })) return new Map();
      return Promise.all(entries.map(function (e) { return scoreAlternatives([{ entry: e, weight: 1 }]); }))
        .then(function (maps) {
          var candidates = intersect(maps);
          if (!candidates.size) return candidates;
          return Promise.all(entries.map(positions)).then(function (lists) {
            var out = new Map(), base = phrase[0].pos;
            candidates.forEach(function (score, doc) {
              var first = lists[0].get(doc) || [];
              var found = first.some(function (start) {
                return phrase.every(function (p, i) {
                  var want = start + p.pos - base, have = lists[i].get(doc) || [];
                  return have.indexOf(want) >= 0;
                });
              });
              if (found) out.set(doc, score);
            });
            return out;
          });
        });
    });
  }

  // Evaluates the clauses: Map doc -> score, and the terms to highlight.
  function evaluate(clauses) {
    var highlight = { terms: new Set(), prefixes: [] };
    return Promise.all(clauses.map(function (clause) {
      if (clause.phrase) {
        clause.phrase.forEach(function (p) { highlight.terms.add(p.term); });
        return scorePhrase(clause.phrase);
      }
      if (clause.compound) {
        clause.parts.forEach(function (p) { highlight.terms.add(p.term); });
        return lookup(clause.compound).then(function (e) {
          if (e) {
            highlight.terms.add(e.term);
            return scoreAlternatives([{ entry: e, weight: 1 }]);
          }
          // An id being typed: the ids that start with what was typed.
          if (clause.prefix) {
            return withPrefix(clause.compound).then(function (found) {
              found.sort(function (a, b) { return b.df - a.df; });
              found = found.slice(0, MAX_EXPANSIONS);
              found.forEach(function (f) { highlight.terms.add(f.term); });
              return found.length ? scoreAlternatives(found.map(function (f) { return { entry: f, weight: 1 }; }))
                : scorePhrase(clause.parts);
            });
          }
          return scorePhrase(clause.parts);
        });
      }
      return clauseEntries(clause).then(function (alternatives) {
        alternatives.forEach(function (a) { highlight.terms.add(a.entry.term); });
        if (clause.prefix && clause.prefix.length >= PREFIX_MIN) highlight.prefixes.push(clause.prefix);
        return scoreAlternatives(alternatives);
      });
    })).then(function (maps) {
      return { match: rankMatches(clauses, maps), highlight: highlight };
    });
  }

  // Best match. With quoted phrases (or quoted words), every document holding all
  // of them is a result; without, every document holding at least one word. Those
  // holding every word come first (`full`); the others follow, ranked by the BM25
  // sum of the words they hold times the share of the query's words they hold, so
  // that one more word usually counts for more than a better score. `compare`
  // orders documents so; `missing` names, per document, the clauses it lacks, and
  // `unmatched` the clauses that no document holds at all.
  function rankMatches(clauses, maps) {
    var strict = [], loose = [];
    clauses.forEach(function (clause, i) { (clause.phrase || clause.strict ? strict : loose).push(i); });
    var scores = new Map(), full = new Set(), missing = new Map();
    var seen = new Set();
    if (strict.length) {
      intersect(strict.map(function (i) { return maps[i]; })).forEach(function (score, doc) {
        seen.add(doc);
        scores.set(doc, score);
      });
    } else {
      loose.forEach(function (i) { maps[i].forEach(function (_, doc) { seen.add(doc); }); });
    }
    seen.forEach(function (doc) {
      var total = scores.get(doc) || 0, lacks = [];
      loose.forEach(function (i) {
        var s = maps[i].get(doc);
        if (s === undefined) lacks.push(i); else total += s;
      });
      if (lacks.length) {
        missing.set(doc, lacks);
        total *= (clauses.length - lacks.length) / clauses.length;
      } else {
        full.add(doc);
      }
      scores.set(doc, total);
    });
    return {
      scores: scores, full: full, missing: missing,
      unmatched: loose.filter(function (i) { return maps[i].size === 0; }),
      compare: function (a, b) {
        return (full.has(b) ? 1 : 0) - (full.has(a) ? 1 : 0) || scores.get(b) - scores.get(a) || a - b;
      }
    };
  }

  // ---- Facets ---------------------------------------------------------------

  var selected = new Map(); // facet number -> Set of value numbers

  // The documents that pass every facet, and per facet the counts of its values
  // among documents that pass every other facet (so a facet shows its alternatives).
  function applyFacets(candidates) {
    var facets = manifest.facets, results = [];
    var counts = facets.map(function (f) { return new Array(f.values.length).fill(0); });
    var active = [];
    selected.forEach(function (values, f) { if (values.size) active.push(f); });
    candidates.forEach(function (doc) {
      var failing = -1, fails = 0;
      for (var i = 0; i < active.length; i++) {
        var f = active[i], have = facetDocs[f][doc] || [], values = selected.get(f);
        if (!have.some(function (v) { return values.has(v); })) { fails++; failing = f; }
        if (fails > 1) return;
      }
      if (fails === 0) {
        results.push(doc);
        for (var g = 0; g < facets.length; g++) (facetDocs[g][doc] || []).forEach(function (v) { counts[g][v]++; });
      } else {
        (facetDocs[failing][doc] || []).forEach(function (v) { counts[failing][v]++; });
      }
    });
    return { results: results, counts: counts };
  }

  // ---- The page -------------------------------------------------------------

  var form = app.querySelector("form");
  var input = app.querySelector("input[type=search]");
  var status = app.querySelector("[data-status]");
  var list = app.querySelector("[data-results]");
  var more = app.querySelector("[data-more]");
  var facetBox = app.querySelector("[data-facets]");
  // The filters start folded, so that on a phone the results come first; a wide
  // screen has room for both, so there they open.
  var filterBox = app.querySelector("[data-filters]");
  if (filterBox && window.matchMedia("(min-width: 40.01rem)").matches) filterBox.open = true;
  var PAGE = 10;
  var state = { ranked: [], shown: 0, highlight: null, active: -1, missing: function () { return []; } };
  var generation = 0;

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // Appends `text` to `parent`, with matched words in <mark>.
  function highlighted(parent, text, highlight) {
    var last = 0;
    scan(text, function (word, pos, isCompound, start, end) {
      if (!highlight || start < last) return;
      var term = termOf(word, isCompound);
      var hit = term !== null && (highlight.terms.has(term) ||
        highlight.prefixes.some(function (p) { return word.lastIndexOf(p, 0) === 0; }));
      if (!hit) return;
      parent.appendChild(document.createTextNode(text.slice(last, start)));
      parent.appendChild(element("mark", "", text.slice(start, end)));
      last = end;
    });
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // The name of value `v` of the facet called `name`.
  function facetValueName(name, v) {
    for (var f = 0; f < manifest.facets.length; f++) {
      if (manifest.facets[f].name === name) return manifest.facets[f].values[v];
    }
    return "";
  }

  function renderResult(doc, meta) {
    var item = element("li", "search-result");
    item.id = "result-" + doc;
    var link = element("a", "search-result-title");
    link.id = item.id + "-link";
    var target = new URL(meta.url, siteRoot);
    // From disk a folder URL shows a listing: name its index.html (links.js does
    // the same for the links in the page).
    if (onDisk && /\/$/.test(target.pathname)) target.pathname += "index.html";
    link.href = target.href;
    highlighted(link, meta.title, state.highlight);
    item.appendChild(link);
    var line = element("p", "search-result-meta");
    var severity = facetValueName("severity", meta.severity);
    var slug = severity.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    var badge = element("span", "badge sev sev-" + slug, severity);
    line.appendChild(badge);
    line.appendChild(document.createTextNode(" "));
    if (meta.review) line.appendChild(element("span", "badge review review-unapproved", meta.review));
    line.appendChild(element("time", "", meta.date));
    line.appendChild(element("span", "search-result-id", meta.id));
    if (meta.services.length) {
      var services = element("span", "search-result-services");
      meta.services.forEach(function (s, i) {
        if (i) services.appendChild(document.createTextNode(", "));
        services.appendChild(element("span", "nowrap", facetValueName("service", s)));
      });
      line.appendChild(services);
    }
    line.appendChild(element("span", "search-result-status", facetValueName("status", meta.status)));
    if (meta.overdue) line.appendChild(element("span", "search-result-flag", meta.overdue + " overdue"));
    else if (meta.open) line.appendChild(element("span", "search-result-flag", meta.open + " open"));
    item.appendChild(line);
    if (meta.excerpt) {
      var snippet = element("p", "search-result-snippet");
      highlighted(snippet, meta.excerpt, state.highlight);
      item.appendChild(snippet);
    }
    var lacks = state.missing(doc);
    if (lacks.length) {
      var missing = element("p", "search-result-missing", "Missing: ");
      lacks.forEach(function (word, i) {
        if (i) missing.appendChild(document.createTextNode(", "));
        missing.appendChild(element("s", "", word));
      });
      item.appendChild(missing);
    }
    return item;
  }

  function showMore(mine) {
    var next = state.ranked.slice(state.shown, state.shown + PAGE);
    state.shown += next.length;
    return Promise.all(next.map(docMeta)).then(function (metas) {
      if (mine !== generation) return;
      metas.forEach(function (meta, i) { list.appendChild(renderResult(next[i], meta)); });
      more.hidden = state.shown >= state.ranked.length;
    });
  }

  function renderFacets(counts) {
    facetBox.textContent = "";
    manifest.facets.forEach(function (facet, f) {
      var values = selected.get(f) || new Set();
      var order = facet.values.map(function (_, v) { return v; }).filter(function (v) {
        return counts[f][v] > 0 || values.has(v);
      });
      if (facet.name === "service" || facet.name === "tag") {
        order.sort(function (a, b) { return counts[f][b] - counts[f][a] || a - b; });
      }
      if (!order.length) return;
      var box = element("fieldset", "facet");
      box.appendChild(element("legend", "", facet.label));
      var shown = facet.name === "tag" || facet.name === "service" ? 12 : order.length;
      var rest = null;
      order.forEach(function (v, i) {
        var label = element("label", "facet-value");
        var check = element("input");
        check.type = "checkbox";
        check.name = facet.name;
        check.value = facet.values[v];
        check.checked = values.has(v);
        check.addEventListener("change", function () {
          var set = selected.get(f) || new Set();
          if (check.checked) set.add(v); else set.delete(v);
          selected.set(f, set);
          run();
        });
        label.appendChild(check);
        label.appendChild(element("span", "facet-name", facet.labels ? facet.labels[v] : facet.values[v]));
        label.appendChild(element("span", "facet-count", String(counts[f][v])));
        if (i >= shown && !values.has(v)) {
          if (!rest) rest = element("div", "facet-rest");
          rest.appendChild(label);
        } else {
          box.appendChild(label);
        }
      });
      if (rest) {
        var details = element("details", "facet-more");
        details.appendChild(element("summary", "", "More " + facet.label.toLowerCase() + "s"));
        details.appendChild(rest);
        box.appendChild(details);
      }
      facetBox.appendChild(box);
    });
  }

  // Puts the query and the facets in the address, so a search can be shared.
  function saveUrl(query) {
    var params = new URLSearchParams();
    if (query) params.set("q", query);
    manifest.facets.forEach(function (facet, f) {
      (selected.has(f) ? Array.from(selected.get(f)).sort(function (a, b) { return a - b; }) : [])
        .forEach(function (v) { params.append(facet.name, facet.values[v]); });
    });
    var search = params.toString();
    history.replaceState(null, "", search ? "?" + search : location.pathname);
  }

  function setActive(index) {
    var items = list.querySelectorAll(".search-result");
    if (!items.length) { state.active = -1; return; }
    index = Math.max(0, Math.min(index, items.length - 1));
    // A plain list of links (a listbox's options may not hold links): the active
    // result is marked, and the input names its link as the active descendant.
    items.forEach(function (item, i) {
      item.classList.toggle("is-active", i === index);
      if (i === index) item.setAttribute("aria-current", "true"); else item.removeAttribute("aria-current");
    });
    state.active = index;
    input.setAttribute("aria-activedescendant", items[index].id + "-link");
    items[index].scrollIntoView({ block: "nearest" });
  }

  // The status line: how many results, and when no record holds every word, which
  // words the results lack. Words come from the user's query: they go in as text.
  function renderStatus(query, filters, count, fullCount, unmatchedWords, corrected) {
    summarize(query, filters, count, fullCount, unmatchedWords);
    if (count && corrected.length) {
      status.appendChild(document.createTextNode(" Read " + corrected.map(function (c) {
        return "“" + c.word + "” as “" + c.corrected + "”";
      }).join(", ") + "."));
    }
  }

  function summarize(query, filters, count, fullCount, unmatchedWords) {
    status.textContent = "";
    var words = query !== "";
    if (!count) {
      status.textContent = words || filters
        ? "No results" + (words ? " for “" + query + "”" : "") + (filters ? " with these filters" : "") + "."
        : "No incidents in this archive.";
      return;
    }
    var noun = count === 1 ? " incident" : " incidents";
    if (!words || fullCount === count) {
      status.textContent = count + noun + (words ? " match “" + query + "”" : "") + (filters ? " (filtered)" : "") + ".";
      return;
    }
    if (fullCount) {
      status.textContent = fullCount + (fullCount === 1 ? " incident matches" : " incidents match") +
        " all of “" + query + "”, then " + (count - fullCount) + " more hold some of its words" +
        (filters ? " (filtered)" : "") + ".";
    } else {
      status.textContent = "No record has all of “" + query + "” — showing the " + count + noun +
        " with most of its words" + (filters ? " (filtered)" : "") + ".";
    }
    if (unmatchedWords.length) {
      status.appendChild(document.createTextNode(" No record holds "));
      unmatchedWords.forEach(function (word, i) {
        if (i) status.appendChild(document.createTextNode(i === unmatchedWords.length - 1 ? " or " : ", "));
        status.appendChild(element("s", "search-unmatched", word));
      });
      status.appendChild(document.createTextNode("."));
    }
  }

  function run() {
    var mine = ++generation;
    var query = input.value;
    saveUrl(query.trim());
    var clauses = parse(query);
    var words = query.trim() !== "";
    var scored = words && clauses.length
      ? evaluate(clauses)
      : Promise.resolve({ match: null, highlight: { terms: new Set(), prefixes: [] } });
    // The query's own files load while the facet data does.
    return Promise.all([scored, facetsReady]).then(function (both) {
      var result = both[0], match = result.match;
      if (mine !== generation) return;
      var candidates;
      if (match) candidates = Array.from(match.scores.keys());
      else if (words) candidates = [];
      else { candidates = []; for (var d = 0; d < manifest.documents; d++) candidates.push(d); }
      var filtered = applyFacets(candidates);
      var ranked = filtered.results, fullCount = ranked.length;
      if (match) {
        ranked.sort(match.compare);
        fullCount = ranked.filter(function (doc) { return match.full.has(doc); }).length;
      } else {
        ranked.sort(function (a, b) { return a - b; });
      }
      state = {
        ranked: ranked, shown: 0, highlight: result.highlight, active: -1,
        missing: function (doc) {
          return ((match && match.missing.get(doc)) || []).map(function (i) { return clauses[i].word; });
        }
      };
      input.removeAttribute("aria-activedescendant");
      list.textContent = "";
      renderFacets(filtered.counts);
      var filters = Array.from(selected.values()).some(function (s) { return s.size; });
      var unmatchedWords = match ? match.unmatched.map(function (i) { return clauses[i].word; }) : [];
      var corrected = match ? clauses.filter(function (c) { return c.corrected; }) : [];
      renderStatus(query.trim(), filters, ranked.length, fullCount, unmatchedWords, corrected);
      if (!ranked.length) {
        more.hidden = true;
        return;
      }
      return showMore(mine);
    }).catch(function (error) {
      if (mine !== generation) return;
      status.textContent = "Search failed: " + error.message;
    });
  }

  // On the search page, the header's search box and the page's box are one:
  // typing in either searches here, and both hold the query.
  var headerInput = document.getElementById("search-q");
  var timer = 0;
  function later() {
    clearTimeout(timer);
    timer = setTimeout(run, 60);
  }
  input.addEventListener("input", function () {
    if (headerInput) headerInput.value = input.value;
    later();
  });
  if (headerInput && headerInput.form) {
    headerInput.addEventListener("input", function () {
      input.value = headerInput.value;
      later();
    });
    headerInput.form.addEventListener("submit", function (event) {
      event.preventDefault();
      input.value = headerInput.value;
      clearTimeout(timer);
      run();
    });
  }
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") { event.preventDefault(); setActive(state.active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); setActive(state.active - 1); }
    else if (event.key === "Enter" && state.active >= 0) {
      event.preventDefault();
      var link = list.querySelectorAll(".search-result a")[state.active];
      if (link) location.href = link.href;
    } else if (event.key === "Escape") {
      input.value = "";
      if (headerInput) headerInput.value = "";
      run();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    run();
  });
  more.addEventListener("click", function () { showMore(generation); });

  // Start: read the address, load what every query needs, then search.
  (onDisk ? scriptBytes("manifest.json").then(function (bytes) {
    return JSON.parse(decoder.decode(bytes));
  }) : fetch(new URL("manifest.json", indexBase)).then(function (response) {
    if (!response.ok) throw new Error("cannot load the search index: HTTP " + response.status);
    return response.json();
  })).then(function (m) {
    if (m.version !== 1) throw new Error("this page does not understand search index version " + m.version);
    manifest = m;
    m.stop_words.forEach(function (w) { stopWords.add(w); });
    var params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    if (headerInput) headerInput.value = input.value;
    m.facets.forEach(function (facet, f) {
      var values = new Set();
      params.getAll(facet.name).forEach(function (name) {
        var v = facet.values.indexOf(name);
        if (v >= 0) values.add(v);
      });
      selected.set(f, values);
    });
    facetsReady = loadFacets();
    var first = run();
    return facetsReady.then(function () {
      app.classList.add("search-ready");
      return first;
    });
  }).catch(function (error) {
    status.textContent = "Search is unavailable: " + error.message;
  });

  window.casebookSearch = { stem: stem, scan: scan, termOf: termOf, rankMatches: rankMatches };
})();
