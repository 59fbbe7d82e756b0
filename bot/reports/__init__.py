"""Innovation reports: cadres report what they do, coordinators review it, the best is shared.

Where to look:

* `submit` — /lapor, the form (its draft and steps in `draft`, its questions in `prompts`);
  also "Perbaiki laporan" for a report returned for revision;
* `review` — /tinjau, the review queue and its buttons; `comment` — the note a revision or
  rejection needs; `notify` — telling reviewers and cadres; `card` — a report as reviewers see it;
* `feature` — sharing an approved report with every cadre and the channel;
* `listing` — /laporanku and /daftar_laporan;
* `media` — size limits and our own copies of the files; `counter` — the /tinjau menu count.

`bot.app` registers `submit.conversation`, `comment.comment_conversation`, `review.handlers`
and `listing.handlers`, and makes `counter.ReviewCounter` a service of the application.
"""
