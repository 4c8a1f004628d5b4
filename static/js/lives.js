// lives.js: the home page's list of live broadcasts, kept current from the
// hub's envelopes: 10035 on connect, 10030 for a start or a new viewer
// count, 10031 for an end. A Vue mixin; the page provides `me`.
import { Code } from './signal.js';
import { pages } from './urls.js';

// liveList returns the mixin that keeps `lives` from signal's envelopes.
export function liveList(signal) {
  return {
    data: () => ({ lives: [] }),
    computed: {
      sortedLives() { return [...this.lives].sort((a, b) => b.viewers - a.viewers || a.title.localeCompare(b.title)); },
    },
    created() {
      signal.on(Code.LiveList, (d) => { this.lives = d || []; });
      signal.on(Code.Live, (d) => { this.lives = this.lives.filter((l) => l.liveId !== d.liveId).concat([d]); });
      signal.on(Code.LiveEnded, (d) => { this.lives = this.lives.filter((l) => l.liveId !== d.liveId); });
    },
    methods: {
      watchURL(l) { return pages.live(l.liveId); },
    },
  };
}
