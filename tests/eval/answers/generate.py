#!/usr/bin/env python3
"""Write the transcript files of the starcoach answer evaluation set.

Every answer below is fictional and was written by hand for starcoach (people,
companies and numbers are invented). Each text is marked with its intended STAR
parts, `[S]` Situation, `[T]` Task, `[A]` Action, `[R]` Result; the markers are
removed from the files and only document what the labels in ../answers.toml assume.

Plain answers are written as paragraphs (Situation and Task, then Action, then
Result). Timed answers (vtt, srt, whisper, whisper_words) get timings from an
intended pace `wpm` (words per minute measured from the first cue start to the last
cue end, pauses included), a start offset, and optional long `pauses` (seconds of
silence, placed at evenly spaced cue boundaries). Natural gaps between cues are short
(0.05 to 0.45 s) and come from a random generator seeded with the answer id, so the
output is deterministic. Words are timed in proportion to their length.

Usage: python3 generate.py            # (re)write every transcript next to this file
       python3 generate.py --summary  # also print words, seconds and pace per answer

Standard library only.
"""

import json
import math
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

EXT = {"plain": "txt", "vtt": "vtt", "srt": "srt", "whisper": "json", "whisper_words": "json"}

# ---------------------------------------------------------------------------
# The answers. Fields: id, slug, fmt, text (with [S]/[T]/[A]/[R] markers);
# timed answers: wpm, start (seconds), optional pauses (list of seconds);
# plain answers: optional question (written as an Interviewer/Candidate dialogue).
# ---------------------------------------------------------------------------

ANSWERS = [
    # ------------------------------------------------------------------ strong
    dict(id="a01", slug="conflict_strong", fmt="vtt", wpm=147, start=0.0, text="""
[S] At Parcelwise we had a single Postgres table acting as a job queue for label
printing, and it was starting to buckle during the holiday peak. Dmitri, another
engineer on my team, wanted to replace it with a full event streaming platform. I
thought that was far too much for a team of five to run.
[T] Our lead asked the two of us to agree on one plan within a week, and I wanted to
get there without it turning into a win-or-lose argument.
[A] First I asked Dmitri for an hour just to hear his case, and I took notes instead
of arguing. It turned out his real worry was not throughput at all. It was that
failed jobs disappeared silently and nobody could replay them. That was a fair point
and I told him so. Then I wrote a one-page comparison of both options against the
same three criteria: operating cost, time to ship, and whether failed jobs could be
replayed. I shared the draft with him before anyone else saw it, so he could correct
anything I had framed unfairly, and he did change two of my estimates. I also built a
small prototype over two evenings that added a dead-letter table and a replay command
to the existing queue, and I invited him to try to break it. He found a locking bug,
which I fixed the same day. When the two of us presented to the lead, I proposed that
the team ship the smaller fix now and that Dmitri own a written trigger for revisiting
streaming, such as order volume doubling again.
[R] The lead approved it. The queue changes shipped in nine days instead of the two
months a streaming rollout would have taken, replaying a failed job went from
impossible to a single command, and the whole peak went by with zero lost labels.
Dmitri and I have paired on three projects since.
"""),
    dict(id="a02", slug="pressure_strong", fmt="whisper_words", wpm=150, start=0.42, text="""
[S] Last spring I was the on-call SRE at Kestrel Pay, a card processing company, when
our authorization service started rejecting about 30% of transactions at 6:40 on a
Friday evening, which is close to our busiest hour.
[T] As incident commander, my job was to stop the failed payments first and find the
cause second, while keeping merchants and our own executives informed.
[A] I opened the incident channel, paged the database and networking on-call
engineers, and assigned one person to post status updates every 15 minutes so I could
stay on the technical side. I pulled the error breakdown by region and saw the
failures were all in one availability zone, so I drained traffic from that zone
within the first ten minutes. That brought the rejection rate down to 4%, but not to
zero. The remaining errors were timeouts to our fraud-scoring service, and its latency
graph jumped at exactly the time a config change had been deployed. I checked the
deploy log, found that the change had lowered a connection pool from 200 to 20
because of a typo, and I made the call to roll it back rather than patch it forward,
because a rollback returned us to a known state. While the rollback ran, I asked the
support lead to prepare a list of affected merchants so they could be contacted that
night. After recovery I kept the channel open for another hour and watched error
rates before I stood the responders down.
[R] Full recovery took 38 minutes from the first page. About 11,000 declined
transactions were reprocessed automatically, and no merchant lost settled revenue. I
wrote the postmortem, and the two fixes I proposed, config validation for pool sizes
and zone-level alerts, went live within two weeks. There has been no repeat of that
failure in the 14 months since.
"""),
    dict(id="a03", slug="mentoring_strong", fmt="plain", text="""
[S] I'm a charge nurse on a cardiac step-down unit, and two years ago I was paired
with Amara, a new graduate. She was clinically sharp but froze when a patient changed
quickly, and after her second week she told me she was thinking of leaving nursing.
[T] My goal was to have her safely taking a full four-patient assignment by the end of
her twelve-week orientation, and to keep her in nursing.
[A] I started by asking her to walk me through the last shift that had gone badly,
and I listened for where she got stuck. It was not knowledge. It was prioritising
when two things happened at once. Knowing that, I changed how I precepted her. For
the first week I took the patients and she shadowed me while I talked through my
reasoning out loud, for example why I would see the patient with new chest pain
before the one whose pump was alarming. Then we swapped roles: she led, and I stood
back and only stepped in if safety required it. After every shift I gave her one
thing she did well and one thing to practise, never a long list. I also set up short
simulation sessions with our clinical educator, using scenarios I wrote from real
situations on our unit, so she could rehearse a deteriorating patient without anyone
at risk. When she handled her first rapid response call, I debriefed with her the
same evening while it was fresh.
[R] She took a full four-patient assignment in week nine, three weeks ahead of plan,
with zero medication errors during her orientation. Her preceptor evaluation went
from needing support to independent on every competency. She is still on the unit,
and last month she precepted her own new graduate using the same approach.
"""),
    dict(id="a04", slug="prioritisation_strong", fmt="srt", wpm=146, start=0.0, text="""
[S] I was the product manager for the mobile app at Shiftly, a staff scheduling
product, with four engineers. Going into the third quarter, sales wanted single
sign-on, support wanted an offline mode, and our CEO wanted a redesigned onboarding
flow, together roughly triple our capacity.
[T] I had to commit to a plan the team could really deliver, and tell the people who
would not get their feature why.
[A] I started by putting every request into one shared sheet with the same columns:
the problem, who asked, the engineers' effort estimate, and what evidence existed.
Then I went back to each requester for evidence. Sales showed me 6 open deals worth
$410,000 that were blocked on single sign-on. Support had 140 tickets about offline
mode in six months, but most came from 3 customers on construction sites with bad
coverage. For onboarding, I pulled our funnel and found that only 8% of new accounts
dropped out during onboarding, which was lower than the CEO believed. I ranked single
sign-on first, and for offline mode I proposed a cheaper fix, a cached read-only
schedule, which the engineers scoped at two weeks instead of eight. I met the CEO one
on one before the planning review to show her the funnel data, so she was not
surprised in front of her staff, and I asked her what would change her mind. She
agreed to move onboarding to the fourth quarter unless activation dropped below a
threshold we set together.
[R] Single sign-on shipped in week 7, and 4 of the 6 blocked deals closed that
quarter, worth about $290,000. The cached schedule cut offline tickets by 70%. Onboarding stayed on the Q4
roadmap, and the team did not work a single weekend.
"""),
    dict(id="a05", slug="technical_depth_strong", fmt="whisper", wpm=152, start=0.0, text="""
[S] At Fernhill Analytics we had a nightly Spark job that built the customer revenue
table, and over about a month its runtime crept from 40 minutes to over 3 hours, which
meant the finance dashboards were stale when people started work.
[T] I was asked to find out why and get it back under an hour without adding cluster
cost.
[A] I started with the Spark UI rather than guessing. One stage, a join between
orders and customer accounts, was taking 80% of the time, and in that stage a single
task ran for two hours while the other 199 finished in under a minute. That pattern
pointed to data skew. I queried the join key distribution and found that about 30
million orders had a null account ID, all landing in the same partition. They came
from a new guest checkout feature that had launched five weeks earlier, which lined
up with the slowdown. I confirmed the theory by running the job on a sample with the
nulls filtered out, and the stage dropped to four minutes. Dropping those rows was
not acceptable, because finance needed guest revenue. Instead, I split the job:
orders with an account went through the normal join, and null-account orders skipped
the join entirely and were unioned back in with a guest label. I also turned on
adaptive query execution, which handles milder skew automatically, and I added a data
quality check that alerts when the share of null keys in any join passes 5%.
[R] The job went back to 35 minutes on the first night. The cluster bill for that
pipeline fell by about a third, because executors were no longer sitting idle waiting
for one task. And when a second team hit the same skew two months later, my alert
caught it before anyone noticed a delay.
"""),
    dict(id="a06", slug="customer_focus_strong", fmt="plain",
         question="Give me an example of a time a user's problem became your problem.", text="""
[S] I lead a support team of six at Lumenhaus, a home battery company. Last
winter Mrs. Okafor called for the fourth time in a month because her battery kept
switching to grid power during the evening peak, exactly when it should save her
money. Each time, an agent had reset the unit and closed the ticket.
[T] I took the case myself, to find the real cause rather than close another ticket,
and to see whether other households had the same problem.
[A] I called her and asked her to describe exactly when it happened, and she
mentioned it always followed her electric car finishing a charge. I pulled the device
logs for the last thirty days and matched them against her charger schedule, and the
switch happened within a minute of the charger stopping every single time. I wrote
that up with the logs and took it to our firmware team, and I sat with one of their
engineers while he reproduced it in the lab. The controller was misreading the sudden
drop in load as a fault. While the fix was being built, I wrote a workaround that
agents could apply remotely, and I searched our ticket system for similar complaints.
I found forty-one other customers with the same pattern, most of them people like
Mrs. Okafor with an electric car on a timer. I contacted each of them personally with
an explanation and the workaround instead of waiting for them to call. I also added a
line to our triage guide so that any battery ticket mentioning a car charger came
straight to me until the fix shipped.
[R] The firmware fix went out three weeks later. Repeat contacts on that issue dropped
to zero, and not one of those forty-two customers cancelled. Once every agent had the
remote workaround, average handling time for battery tickets fell by about a quarter.
Mrs. Okafor sent my team a card, which is still on our wall.
"""),
    dict(id="a07", slug="influence_strong", fmt="vtt", wpm=144, start=0.8, text="""
[S] I was the only product designer on the checkout team at Marigold, an online
grocery company. Our web app had grown without any shared components, so every team
styled buttons and forms their own way, and an accessibility audit found 212 contrast
and keyboard problems.
[T] I wanted the four front-end teams to adopt a shared component library, but none
of those engineers reported to me and their roadmaps were already full.
[A] I knew a slide deck alone would not move anyone, so I started with evidence they
would care about. I recorded a screen reader user, with her permission, trying to
check out on our site, and it took her 11 minutes and two failed attempts. I showed
that clip at the engineering all-hands. Then I made it cheap to say yes. I built the
first eight components myself in Storybook, paired with one volunteer engineer to
make them production quality, and I wrote a migration guide for each one. I went to
each team lead individually and asked what would make this feel like less work, not
more. One lead said she would like automatic checks in the pull request pipeline
rather than another review step, so I set up an accessibility linter that only
flagged new violations, not old ones, so no team had to fix everything at once. I
also published a simple table of open issues per team, which turned out to motivate
people more than any argument I made.
[R] Within two quarters all four teams had adopted the library. Open accessibility
issues dropped from 212 to 31. The checkout flow now works fully with a keyboard and a
screen reader, and mobile conversion went up 3% after the new form components shipped.
"""),
    dict(id="a08", slug="mistake_strong", fmt="srt", wpm=141, start=0.0, text="""
[S] I was a financial analyst at Hollis and Rowe, a chain of garden centres, and each
month I built the store-level margin report that regional managers used to decide on
staffing for the following month.
[T] In March I owned that report end to end, including a new allocation of warehouse
costs that I had proposed myself to make store margins fairer.
[A] Two days after the report went out, a regional manager emailed to ask why her
best store was suddenly showing a loss. I checked and found the mistake was mine. I
had allocated warehouse costs by floor area instead of by units shipped, because I had
referenced the wrong column in the formula. Eleven stores looked worse than they were
and nine looked better. I called my manager straight away, told her exactly what I had
done, and gave her a corrected version within three hours. I then wrote to all the
regional managers myself, explained the error in two sentences, attached the
corrected report, and asked whether anyone had already acted on the old numbers. One
manager had cut shifts at a store, and I joined a call with him to walk through the
real figures so he could reverse it before the rota was published. After that I
changed how I work. I added a reconciliation tab that checks allocated costs sum to
the ledger total, I asked a colleague to review any formula change before release, and
I started keeping a change log at the top of the workbook.
[R] No staffing decision stood on the wrong numbers. In the year since, the report
has gone out twelve times without a correction, and my manager adopted the peer review
step for the whole team, which has meant a third fewer reissued reports across the
department.
"""),
    dict(id="a09", slug="cross_team_strong", fmt="whisper", wpm=149, start=0.3, text="""
[S] At Northgate Software we sell an expense management platform, and we were in the
final stage with a hospital group worth $1.2 million a year. Their security team sent
a 300-question assessment and asked for single sign-on with their own identity
provider, which we did not support yet.
[T] As the sales engineer, I owned the technical win, and I needed security, product
and engineering to commit to work that was on nobody's plan, within six weeks.
[A] I started by sorting the 300 questions myself into three piles: ones I could
answer from existing documents, ones only our security team could answer, and true
gaps. That cut the security team's share to 41 questions, which made them willing to
help that same week. For the identity provider, I set up a test tenant and proved
that the existing SAML integration worked with one configuration change, which turned
a feature request into a documentation task. The real gap was audit log export. I
wrote a one-page brief for the product manager with the deal value, two other
prospects asking for the same thing, and a narrow scope, and I asked for a decision by
a specific date. I held a 20-minute weekly call with the customer's IT lead, our
security lead and the engineer, and I sent a written summary after each call so no
one had to remember who owed what. When engineering slipped by a week, I told the
customer myself before they noticed and offered a workaround using scheduled reports.
[R] The security assessment passed in 19 days, well inside the six-week window. The
customer signed a three-year contract worth $3.6 million, and the audit export feature
shipped two weeks later and has since been used in 5 other deals. Our security team now
reuses my sorted answer library for every questionnaire.
"""),
    # -------------------------------------------------------------------- good
    dict(id="a10", slug="leadership_good", fmt="plain",
         question="When have you been the one out in front, getting a group to follow a plan?", text="""
[S] I am head of mathematics at a secondary school with seven teachers in the
department. When I took over, our exam results had been flat for three years and every
teacher set homework differently, some using worksheets, some using an online
platform and some setting nothing at all. Parents complained that it was
inconsistent, and the teachers were tired of arguing about it in meetings.
[T] The head teacher asked me to bring in one homework approach across the department
within a school year.
[A] I did not want to impose a system, so I started by asking each teacher to show me
one homework task they were proud of and one that had failed. We looked at those
together at a department meeting, and a pattern came out: short, frequent retrieval
practice worked better than long weekly sheets. I proposed a trial with two volunteer
classes for half a term, and I taught one of them myself so I would feel the workload
first-hand. I set clear rules: three short tasks a week, no more than twenty minutes
each, marked automatically. I met the two sceptical teachers individually to hear
their concerns, and one of them pointed out that students without internet at home
would be left behind, so I arranged a homework club in the library at lunchtime.
After the trial I shared the completion data with the whole department and let them
vote on rolling it out.
[R] The department voted to adopt it for all year groups. Homework completion went
from roughly half of students to about four in five, and our exam pass rate rose by
eight points the following summer.
"""),
    dict(id="a11", slug="ambiguity_good", fmt="vtt", wpm=142, start=0.0, text="""
[S] In my first year as an associate product manager at Brightpenny, a budgeting app,
my director told me to improve engagement and gave me a quarter to do it. Nobody could
tell me what engagement meant, whether it was daily logins, time in the app, or
something else.
[T] My first job was to turn that into a goal I could be measured on, and then to pick
something to build.
[A] I spent the first two weeks on definitions. I pulled retention curves and noticed
that users who connected a second bank account in their first week were far more
likely to still be active after ninety days. I wrote a short document proposing a
second linked account as the engagement metric, and I asked my director to sign off
on it before I did anything else, since I did not want to optimise the wrong number.
Then I interviewed twelve users who had linked only one account. Most of them said
something like, I did not know I could add more, or the bank list did not have my
credit union. I worked with design on a prompt after the first week, and with an
engineer on adding the eleven credit unions users had mentioned most. I would like to
say it all worked at once, but the prompt did nothing in its first version, and I had
to rewrite the copy twice.
[R] By the end of the quarter second-account linking had gone up from 18% to 27%.
Ninety-day retention for that cohort improved by four points. My director later used
the same metric definition for the whole growth team.
"""),
    dict(id="a12", slug="failure_good", fmt="plain", text="""
[S] A couple of years ago at Tidewell, a travel booking site, I led a rewrite of our
hotel search from a module in the monolith into its own service. The old code was slow
and hard to change, and I was convinced a clean rewrite was the answer.
[T] I committed to delivering the new service in two quarters with the same results as
the old one and lower latency.
[A] I designed the new service, split the work among three engineers, and wrote the
ranking component myself. Where I went wrong was in how I tested it. I compared the
new results against the old ones on a few hundred sample queries, and they matched, so
I felt confident. What I did not do was replay real traffic early. When I finally
shadowed production traffic in month five, the results diverged on about one query in
six, mostly because of undocumented business rules buried in the old code, things such
as hiding hotels with pending payment disputes. I spent six weeks chasing those rules
one at a time. By then the second quarter had ended, and my director reasonably
decided to stop the rewrite and fold the best parts, mainly my caching layer, back into
the monolith. I ran the retrospective myself and was honest that the biggest miss was
mine: I had validated on data that confirmed what I expected.
[R] The caching layer alone cut search latency by about a third, so not everything was
lost, but it took nearly two quarters of work to get there. Since then I insist on
shadow traffic in the first month of any migration I run. On my last project that
caught eleven rule differences in week three instead of month five.
"""),
    dict(id="a13", slug="learning_good", fmt="whisper_words", wpm=145, start=0.0, text="""
[S] About a year into my first job as a site reliability engineer at Quillon Health,
the only infrastructure engineer who knew Terraform left with two weeks' notice. We had
around forty Terraform modules, and a compliance deadline meant our staging
environment had to be rebuilt in a new region within a month.
[T] My manager asked me to take over the infrastructure code and do the rebuild, even
though I had never written Terraform.
[A] I spent the first two days only reading. I went through the departing engineer's
modules with him and recorded our sessions, and I asked him to explain the parts he
was least proud of, because I expected that was where problems would be. Then I worked
through the official tutorials in the evenings, but I practised on a sandbox account
rather than our real code, so I could break things safely. I made myself a rule to run
a plan on every change and read the full output before applying anything. Where I did
not understand a module, I rewrote a small version of it from scratch in the sandbox
until I did. I also asked a platform engineer from another team to review my first
five pull requests, and his comments taught me more about state files than any
tutorial. For the rebuild itself, I went module by module, starting with networking,
and wrote a checklist for each step.
[R] The staging environment was running in the new region in three and a half weeks,
a few days ahead of the deadline. There were no unplanned outages during the move, and
my checklist became the team's runbook.
"""),
    dict(id="a14", slug="ownership_good", fmt="whisper", wpm=143, start=0.0, text="""
[S] I worked as a technical support engineer at Larchmont, a payroll software company.
Customers could schedule a report to be emailed to them each week, and I started
noticing tickets saying the email had not arrived. Each ticket was handled on its own,
and the agent would resend the report by hand.
[T] The scheduler did not belong to any team anymore, since the engineers who wrote it
had moved on, and I decided to find out what was going wrong instead of resending
reports.
[A] I started by tagging every related ticket so I could see the pattern, and it
became clear that the failures clustered on Monday mornings. I asked an engineer I
knew on the billing team whether I could read the scheduler logs, and she gave me read
access. The logs showed the job was timing out whenever a report was large, and
because there was no retry, the email was simply dropped. I wrote up what I found with
examples and took it to the engineering manager who had inherited the code, and I
offered to do the testing if someone could make the change. While waiting, I wrote a
saved search that listed customers whose report had failed, so support could resend
proactively before anyone complained. When the fix came, a retry with a longer
timeout, I tested it against the largest customers' reports myself and wrote the help
centre article explaining the change.
[R] After the release, complaints about missing reports became rare, and my
saved search turned into a proper alert that the engineering team now owns. My
manager asked me to present the investigation at our support all-hands.
"""),
    dict(id="a15", slug="disagree_manager_good", fmt="plain", text="""
[S] Last year at Cobalt Ridge, an events ticketing company, my team was about to launch
a new seat-selection service for a big stadium tour. Two weeks before the on-sale
date, my manager decided to skip the planned load test, because the test environment
was behind and he wanted the time for bug fixes.
[A] I disagreed, and I went looking for numbers rather than arguing. I pulled the
traffic from the last large on-sale and worked out that the peak would be around 9,000
requests per second, while our only benchmark of the new service had been at 1,500. I
wrote that up in half a page with the specific risk: if the seat-hold queries slowed
down, fans could be charged for seats that had already been released. I asked him for
fifteen minutes, walked him through it, and proposed a compromise: a smaller test, one
day long, run against production-sized data on a single replica instead of the full
environment. He was worried about the schedule, so I offered to set up the test myself
over the weekend so the team's bug fixing would not stop. He agreed. The test showed
that the seat-hold query fell over at about 4,000 requests per second because of a
missing index. I added the index, reran the test and got to 12,000 before it degraded.
I also shared the test scripts with the team so anyone could rerun them.
[R] The on-sale went out on time and handled a peak of 8,700 requests per second
without errors, and my manager added a mandatory load test to our launch checklist the
following week.
"""),
    dict(id="a16", slug="conflict_good", fmt="vtt", wpm=139, start=0.5, text="""
[S] On the surgical ward where I work, we had long-running friction between night and
day shift about handover. One day nurse in particular, Colm, would regularly tell me in
front of patients that my handovers were incomplete, and I felt he was rushing them and
not listening. It got to the point where we avoided each other and handovers got
shorter, which was not safe.
[T] I wanted to fix things with him directly before it became a formal complaint either
way.
[A] I asked Colm if he would have a coffee with me after my shift, away from the ward.
I started by asking what he needed from a handover, rather than defending myself. He
said the problem was not missing information. It was that he could not find it,
because every nurse ordered things differently, and he was walking into rooms without
knowing about pain issues or falls risk. I could see his point. I told him how it felt
to be corrected in front of patients, and he said he had not realised how it came
across. I suggested drafting a simple handover order together, and I wrote a one-page
version that put things like falls risk and pending results at the top. I tried it with
him for two weeks, and I adjusted it twice based on his notes. Then I took it to our
ward manager with Colm, as a joint proposal.
[R] The ward adopted the format for all handovers within a month. Handover now takes
about ten minutes per bay instead of twenty, and Colm and I have not had a single
disagreement in front of a patient since. He asked me to co-lead the training for new
starters.
"""),
    dict(id="a17", slug="pressure_good", fmt="srt", wpm=144, start=0.0, text="""
[S] I was a data engineer at Harbourline Insurance when the regulator changed the
format of a claims return with much less notice than usual. The submission deadline
did not move, and the existing pipeline produced the old layout.
[T] I was given the job of rebuilding the extract so the return could be filed on time,
while the analyst who normally checked it was on leave.
[A] I read the new specification that evening and listed every field that had changed,
then grouped the changes into ones I could map from existing tables and ones that
needed new data. I sent the second list to the claims operations lead the next
morning, because I knew those would take longest, and asked for a named contact rather
than a shared inbox. I built the new extract as a separate pipeline instead of
modifying the old one, so I could compare outputs side by side and fall back if
needed. I wrote reconciliation checks against the previous return's totals, and they
caught an error in how I had mapped reopened claims, which I fixed before anyone
downstream saw it. Because the usual reviewer was away, I asked a finance colleague to
check a sample of records against source documents, and I gave her a short guide so
the check fitted into an afternoon. I kept my manager updated with a short note at the
end of each day saying what was done, what was at risk and what I needed.
[R] The return was submitted on time and the regulator accepted it. My manager asked me
to turn the reconciliation checks into the standard process for regulatory returns,
and the team still uses them.
"""),
    dict(id="a18", slug="cross_team_good", fmt="whisper", wpm=146, start=0.6, text="""
[S] I'm a senior designer at Wrenfield, a telehealth company. Our patient sign-up flow
had been built by three different teams over the years: marketing owned the landing
pages, the clinical team owned the medical questionnaire, and legal owned the consent
screens. Nobody looked at the whole journey, and more than half of the people who
started signing up never finished.
[A] I began by mapping the entire flow on one wall, with screenshots of all 23 screens,
and I invited someone from each of the three teams to walk it with me as if they were
a patient. That session did more than any report could have, because each team saw for
the first time what came before and after their part. I then ran five usability tests
with real patients and sorted the problems by which team owned them. For legal, I
worked with their counsel to rewrite the consent text in plain language and checked
each version with her, so she never felt I was overriding her. The clinical team was
protective of their questionnaire, so instead of cutting questions I proposed moving
the non-urgent ones to after the first appointment, and I got their lead to test it
with me. I set up a fortnightly review with all three teams and kept one shared board
so everyone could see progress and blockers.
[R] The new flow went live in about three months. It has 11 screens instead of 23, and
completion rose from 44% to 63%. Legal now asks to be included in design reviews early,
which had never happened before.
"""),
    # ---------------------------------------------------------------- mediocre
    dict(id="a19", slug="leadership_mediocre", fmt="srt", wpm=143, start=0.0, text="""
[S] This was at Velda Logistics, where I had just been promoted to engineering manager
of the routing team, which was seven engineers at the time. The company had decided,
before I took the role, to move everything from our own data centre to a cloud
provider, and the routing service was the hardest part because it had a lot of shared
state and it was written in an old version of Java that nobody really wanted to touch.
The previous manager had left, two of the senior engineers were unhappy about the
migration, and there had been a failed attempt the year before that was rolled back
after a weekend of outages. The business side was also nervous, because routing is
what decides which driver gets which parcel, so if it goes down, deliveries stop. On
top of that, there was a peak season coming in the autumn and a freeze on changes from
October, and the finance team wanted the data centre contract ended by the end of the
year because the renewal was expensive.
[T] My task was to get the routing service migrated before the freeze, without outages,
and to keep the team together while doing it, since morale was low and people were
already talking about leaving.
[A] I set up a plan with milestones and had one-on-ones with everyone. I paired the two
unhappy seniors on the riskiest piece, and the cutover was done in stages.
[R] The migration finished in September, two weeks before the freeze, with one minor
incident of about twenty minutes, and nobody left the team that year.
"""),
    dict(id="a20", slug="customer_focus_mediocre", fmt="vtt", wpm=148, start=0.0, text="""
[S] I was a sales engineer at Corvid Data, and one of our biggest accounts, a regional
bank, was threatening not to renew because they said our platform was too slow for
their month-end reporting.
[T] My account executive asked me to find out what was really going on and to save the
renewal.
[A] We set up a workshop with their reporting team, and we went through their
month-end process step by step with them. We found that the platform was not slow at
all. They were exporting everything to spreadsheets and rebuilding the same joins by
hand every month. We proposed building them a set of scheduled views, and our
solutions team helped us design them. We did three working sessions with their
analysts to make sure the views matched what their spreadsheets did, and we adjusted
the logic when we found differences in how they treated reversed transactions. Our
support team also set up monitoring on their jobs, so we would know before they did if
anything failed. We ran the first month-end in parallel with their old process so they
could compare, and we sat with them on a call during the close. Things like that take
time, but we felt it was worth it for an account like theirs.
[R] Their month-end close went from four days to a day and a half, and they renewed for
three years at a 15% higher contract value.
"""),
    dict(id="a21", slug="technical_depth_mediocre", fmt="srt", wpm=206, start=0.0, text="""
[S] At Pinecrest Media I worked on the image resizing service, written in Go, and it had
a memory problem: every few days the pods would climb to their 4 GB limit and get
killed, which caused a burst of broken thumbnails across the site.
[T] I took the ticket to find the root cause, because the team had been living with
daily restarts for months.
[A] First I checked whether it was a real leak or just the garbage collector being
lazy, so I graphed heap in use against resident memory, and the heap itself was
growing, so it was real. I added the pprof endpoint and took heap profiles an hour
apart, then diffed them. The growth was all in byte buffers allocated by our image
decoder. That was confusing, because buffers went back to a sync pool after every
request. I read the pool code carefully and found that for images above a certain size
the decoder allocated a bigger buffer, and when it went back to the pool it stayed
there, so over time the pool filled with huge buffers that were never released. Under
normal load the pool would hand out a 40 MB buffer for a 200 KB thumbnail. I wrote a
test that reproduced it in under a minute by sending a mix of large and small images.
The fix was small: I capped the size of buffers allowed back into the pool and dropped
anything larger. I also added a metric for pool buffer sizes and an alert if resident
memory grew more than 20% in a day.
[R] After the fix, memory stayed flat at about 600 MB per pod, the scheduled restarts
were removed, and broken thumbnail reports went from about 50 a week to zero. The pod
count also came down from 12 to 8, which saved around $2,000 a month.
"""),
    dict(id="a22", slug="mentoring_mediocre", fmt="whisper_words", wpm=133, start=0.0,
         pauses=[2.6, 3.2, 2.9, 3.5], text="""
[S] At Ostara Cloud I was a senior SRE, and a new junior engineer, Priya, was about to
join the on-call rotation. She was very capable but nervous, and the previous junior
had burned out after a bad first on-call week.
[T] My manager asked me to get her ready for on-call within two months, so that she
would feel confident and not just survive it.
[A] The first thing I did was go through our last ten incidents with her, not the
fixes, but how the person on call had decided what to check first. Then I set up
shadow shifts, where she got the pages too and I talked through my thinking on a call
with her. After two weeks we swapped, and she took the pages with me as backup. I held
back and let her make the calls unless something was going badly wrong. After each
incident I ran a short review with her, and I tried to ask questions rather than give
answers, such as what she would check first next time. I also noticed our runbooks
assumed a lot of knowledge, so I had her rewrite three of them as she learned, which
helped her and the next person. I ran a game day as well, where I broke a staging
service on purpose and she had to find the fault.
[R] She went on the rotation on her own after seven weeks. In her first real week she
handled six pages, including a disk-full incident on a database, and escalated only
once. She told me later that the game day was the part that helped most.
"""),
    dict(id="a23", slug="influence_mediocre", fmt="plain", text="""
[S] I was a marketing analyst at Fennimore Outdoor, a retailer of camping gear, and the
paid media team decided budgets using last-click attribution. That model gave almost
all the credit to branded search ads, so every quarter more money went to branded
search and less to things like video and podcasts that people saw earlier.
[T] I was convinced the company was overspending on branded search, and I wanted the
paid media team, who did not report to me, to test a different approach.
[A] I knew that telling them their model was wrong would not go well, so I started with
their own data. I pulled twelve months of spend and sales and showed that branded
searches went up whenever podcast ads ran, which suggested those ads were creating the
demand that search was getting credit for. I built a simple comparison of three
attribution models side by side, so they could see how much each channel would get
under each one. I also met the head of paid media one to one before showing anything to
the wider team, and asked what evidence would convince her. She said she would trust a
controlled test more than a model, so I designed a geographic holdout test that would
pause branded search in four regions for six weeks and compare sales with matched
regions. I wrote up the design, the costs and the risks, and presented it at their
planning meeting, and I answered their questions about seasonality by adding a control
for the weather. I also offered to run the weekly readout for the test myself, so the
paid media team would not have to spend their own time on the analysis.
"""),
    dict(id="a24", slug="failure_mediocre", fmt="whisper", wpm=150, start=0.0, text="""
[S] At my previous company, Harrowgate, we built invoicing software for small
construction firms, and I was the product manager for the mobile app. Our sales team
kept hearing that contractors wanted to create invoices from the job site, on their
phones, rather than going back to the office at the end of the day. It came up in
almost every sales call, and a few of our biggest customers asked for it directly in
quarterly reviews. Our competitors did not have it yet, and leadership liked the idea
of being first. I was enthusiastic about it too, and honestly I was the one who pushed
hardest for it in planning.
[T] I owned the feature from discovery to launch, with three engineers and a designer,
and I had committed to shipping it in one quarter and getting at least 30% of active
customers to use it within three months of launch.
[A] I wrote the spec and worked with the designer on a flow that let a contractor snap
photos of materials, add line items, and send the invoice in under two minutes. I ran a
few usability sessions with contractors we knew well, and they liked the prototype. We
shipped on schedule. In the first month usage was about 4%, and it barely moved after
that. I went back and did what I should have done earlier: I visited six customers on
site and watched how they really worked. What I learned was that the person on site
was almost never the person who sent invoices. The foreman was on site, but invoices
were done by an office manager or the owner's spouse, often in the evening, from a
laptop, after checking the foreman's notes. The people asking for mobile invoicing in
sales calls were owners who imagined it would be convenient, not the people who would
use it. I had validated the design with the wrong users, and I had taken requests at
face value. I presented this honestly to leadership, and I proposed changing the
feature: instead of full invoicing on mobile, the foreman would capture materials and
hours on site, which then appeared as a draft invoice for the office manager. That was
a much smaller change, because most of the pieces existed. The team built it in five
weeks. I also changed my discovery process: I now always ask who does the task, not
who wants it, and I try to observe the work before writing a spec.
[R] The draft-capture version reached 35% of active customers within two months, and
invoices were sent on average two days sooner, which helped our customers get paid
faster. The original mobile invoicing flow was retired a quarter later. It cost us
about a quarter of engineering time, which was the real failure, but the lesson about
watching real users has stayed with me.
"""),
    dict(id="a25", slug="ambiguity_mediocre", fmt="vtt", wpm=141, start=0.0, text="""
[S] I was a data engineer at Gallowmere, a mid-sized online furniture retailer, and the
leadership team said they wanted a "single source of truth" for the business, but
nobody could really say what that meant. Finance wanted one thing, marketing wanted
something else, and the operations people mostly wanted their existing reports to keep
working.
[T] I was asked to work out what the platform should be and, I guess, deliver some
first version of it, although the scope was somewhat unclear from the start.
[A] I think maybe the first thing I did was talk to the heads of each team, and I
probably should have done it in a more structured way, but I tried to write down what
each of them said they needed. It seems most of the disagreement was about definitions,
for example what counts as an active customer, so I proposed that the teams agree on a
small set of core definitions first, before building anything. I believe I ran a
couple of workshops on that. Then I built a first version of the warehouse with the
orders and customers models, and I shared it with finance first, since they were
perhaps the most engaged. There were some issues with returns data, which I might have
underestimated, and I had to rebuild that part. I also wrote documentation for the
definitions and put it in the wiki so people could find it.
[R] In the end, finance started using the new models for their reporting, and I think
the other teams were somewhat happier with the definitions, although marketing still
kept their own spreadsheets. Leadership seemed reasonably pleased with the direction,
I guess.
"""),
    dict(id="a26", slug="prioritisation_mediocre", fmt="srt", wpm=141, start=0.0, text="""
[S] I was the nurse in charge of a twenty-eight bed medical ward on a night when two
nurses called in sick and the agency could only send one replacement.
[T] I had to keep every patient safe with one nurse fewer than planned.
[A] I went through every patient with the team at the start of the shift and ranked
them by acuity, using the early warning scores. I gave the two sickest patients to our
most experienced nurse with a lighter load overall, and took four patients myself on
top of being in charge. I postponed non-urgent tasks such as routine weights and care
plan updates to the day shift, and I told the day manager why. I asked the site
manager for a healthcare assistant from a quieter ward for the busiest hours, and she
agreed.
[R] The night passed with no falls, no missed medications and no patient
deteriorating without being escalated, and the day shift had picked up the deferred
tasks by ten.
"""),
    dict(id="a27", slug="ownership_mediocre", fmt="plain", text="""
[S] Um, so, I teach science at a primary school, and, you know, a lot of the kids were
really into computers and games but there was, like, nothing for them. There was no
computing club, and the old laptops were basically just sitting in a cupboard.
[A] So what I did was, um, I sort of went to the head and asked if I could use the
laptops after school. She said yes, uh, as long as I sorted out the safeguarding
stuff. So I, like, wiped the laptops and put a free block coding tool on them, which
took, um, a couple of weekends, actually. Then I made a poster and, you know, put it up
in the corridors. I mean, I wasn't sure anyone would come. I basically planned, like,
short projects each week, making a simple game or, um, a little animation, and I kind
of let the kids choose. I also got a parent who works in software to come in, uh, a
couple of times, which the kids, you know, loved. When the laptops kept crashing I,
um, I asked a local company if they had old machines, and they actually donated some.
[R] So, um, by the end of the year I had like twenty-two kids coming every week, and,
uh, there was a waiting list. And, you know, three of the older ones entered a regional
coding competition, and their team came second. The head has now, um, put it in the
school budget, so it's, like, official.
"""),
    # -------------------------------------------------------------------- weak
    dict(id="a28", slug="mistake_weak", fmt="whisper_words", wpm=152, start=0.0, text="""
[S] Um, so, this was at my first job, at a, uh, fintech startup. We had, like, a
staging config and a prod config, and they were basically the same file with different
values.
[A] So, um, we were doing a release and we, you know, merged the wrong config, and our
staging database URL ended up in production, kind of. We didn't notice for a while
because, like, our health checks were green. Then, uh, support started getting tickets
and we, um, we jumped on a call and we started looking at the deploy history. Our lead
was, you know, pretty calm about it. We, like, talked about it after, and we said we
should probably, um, have separate files or something. It was, uh, yeah, it was a
stressful day for all of us.
"""),
    dict(id="a29", slug="learning_weak", fmt="whisper", wpm=145, start=0.0, text="""
[S] So I guess to give some background, I was a designer at a company called Plumeria,
which made software for dental practices, appointment booking, reminders, that kind of
thing. I had been there for about two years, and before that I was at an agency doing
mostly marketing websites, so I'd probably describe myself as a visual designer
originally who moved into product design. The team structure at Plumeria was somewhat
unusual, because design sat under marketing rather than product, and there was a lot
of back and forth about who owned what. There were two designers, me and another
designer who was more senior, and about fifteen engineers split into three squads. The
front end was in React, and there had been a big push the year before to build a
component library, which I believe had stalled when the engineer leading it left.
Around that time the company also went through a reorganisation and our product
director left, and I think maybe that is why a lot of things were on hold. The other
designer went on parental leave, and then one of the front-end engineers also left, so
there was a gap, and it seems leadership decided that the designers should be closer to
the code, which was a trend in the industry at that time as well. I had done a bit of
HTML and CSS years ago but never any JavaScript really, and certainly not React. I was
somewhat nervous about it, because I didn't have a computer science background and I
had always seen code as the engineers' territory, and I wasn't sure I was the right
person, but there wasn't really anyone else. On top of that, the release calendar was
somewhat packed that spring, with a big redesign of the booking screens planned, so the
timing was probably not ideal either.
[T] My manager asked me to learn enough React to build and maintain the components in
the library myself, probably within a quarter, I guess, though the exact expectations
were never really written down anywhere.
[A] I took an online course in the evenings, and I asked one of the engineers to pair
with me for an hour a week. I started with simple components like buttons and worked up
to forms. I think I made a lot of mistakes with state at first, and the engineer had to
fix some of my pull requests. I also read the existing code to see how things were
structured.
[R] After a few months I could build most components on my own, which perhaps freed up
the engineers somewhat. I shipped about twelve components to the library by the end of
the year, I believe, and the engineers seemed to use them.
"""),
    dict(id="a30", slug="cross_team_weak", fmt="vtt", wpm=96, start=0.0,
         pauses=[2.8, 3.4, 6.2, 2.6, 3.0], text="""
[S] Um, so, at my last job I was a data engineer at a, uh, a logistics company, and the
company was moving its tracking data to a new vendor, a, um, a telematics provider.
Their API was, like, pretty different from the old one.
[T] I was supposed to, uh, get the data flowing into our warehouse and work with their
team on it.
[A] So I, um, I set up a call with their integration people, and, you know, it was kind
of slow going at first because they were in a different time zone. I basically wrote up
a list of the fields we needed, and, uh, they sent back some documentation. Some of it
was, like, out of date, so I had to, um, test things myself. I also had to work with our
operations team, uh, because they used the reports, and they wanted things, you know,
in the same format as before. I mean, I kept both sides updated with, um, emails and a
shared document. There were some problems with, like, timestamps being in the wrong
time zone, and I, uh, I found that and told the vendor, and they fixed it on their side
eventually.
[R] So, um, the data did start flowing, and, uh, operations were, you know, mostly okay
with the reports in the end.
"""),
    dict(id="a31", slug="conflict_weak", fmt="srt", wpm=98, start=0.0, text="""
[S] I was a support lead at Tessellate, a project management tool, and there was a lot
of tension between our support team and the engineering team over bug escalations.
Engineering felt we escalated too much and support felt engineering ignored us, and
one engineering manager, Rafael, was especially blunt about it in our shared channel.
[A] We had a few heated threads in chat, and after one of them we decided to meet with
his team. We brought a list of escalations from the past month and we went through them
together. Our view was that most of them were legitimate, and their view was that half
of them were configuration questions. We agreed we would try a new escalation template,
and we wrote it together with a couple of their engineers. We also said we would meet
every two weeks to go over the queue, and we agreed our team would stop posting
escalations in the shared channel. Our team started tagging tickets differently so
that we could see which were bugs and which were questions. We had some more
disagreements about priority levels, and we went back and forth on the definitions for
a while. Then we set up a shared dashboard so both teams could see the same numbers, and
we presented it to our directors at the next quarterly review, along with the template
and the new tags.
"""),
    dict(id="a32", slug="leadership_weak", fmt="whisper", wpm=208, start=0.0, text="""
[S] At Orrin Systems I was the senior SRE on the platform team. The company had a rough
year for reliability, with a string of incidents that hit customers, and each product
team handled incidents its own way, with different alerting, different on-call
practices, and postmortems that were sometimes written and sometimes not.
[T] Our VP of engineering asked me to lead a reliability program across the product
teams and get everyone onto a common approach for incidents and service level
objectives.
[A] I started by meeting every team lead one on one to understand how they worked and
what they were worried about, and I wrote up a short summary of what I heard and shared
it back so people could see their concerns reflected. Then I drafted a lightweight
standard: every service would have an owner, a service level objective, a paging
policy, and a postmortem for any customer-facing incident. I deliberately kept it
short, because the teams were already stretched. I picked two teams that were keen to
pilot it, and I worked directly with them to set their objectives, which meant sitting
with their engineers and going through their dashboards, and helping them decide what
good looked like for their users. Once the pilots were done, I ran a session where
those teams presented their experience to the others, which was more convincing than
anything I could say. I set up a weekly reliability review that went through incidents
across all teams, and I rotated who ran it so it did not become my meeting. I built
templates for the postmortems and the objectives, and a dashboard that showed each
team's error budget. There was resistance from one team who felt it was extra process,
so I met with their manager and agreed a slower timeline for them with a simpler
version of the standard. I also paired each new team with one of the pilot teams for
their first month, so they had someone to ask who had already been through it. I also
trained a group of engineers to act as reliability
champions in their own teams, so that the knowledge did not depend on me. When the VP
wanted to add more requirements halfway through, I pushed back and asked to keep the
scope stable until all teams had adopted the basics, and she agreed. Throughout the
program I sent a short written update to leadership at the end of each month.
[R] The teams adopted the standard, postmortems became a normal habit rather than an
exception, and the reliability review is still running. Leadership considered the
program a success and asked me to take on capacity planning next.
"""),
    dict(id="a33", slug="pressure_weak", fmt="plain", text="""
[S] Um, so, I was an assistant manager at a big electronics store, and it was, like, the
Saturday before Christmas, which is basically the busiest day of the year for us. There
were extra staff in, and, uh, the queues were already out the door by ten in the
morning. Around lunchtime the card terminals went down across the whole store, you
know, because of a problem at the payment provider, and nobody knew how long it would
last. Customers were getting angry and, um, some of the newer staff were pretty
stressed, and my store manager was off that day, so it was, like, all on me.
[A] I mean, I told the staff to take cash only and, uh, I called head office.
"""),
    dict(id="a34", slug="disagree_manager_weak", fmt="whisper_words", wpm=146, start=0.0, text="""
[S] So, um, I was a business analyst at an insurance company, and my manager wanted to,
uh, change the way the team reported claims, kind of grouping them by region instead of
by product. I think maybe I didn't really agree with that, because, you know, the
product teams used those reports every week, and they were, um, used to them.
[A] I guess I sort of brought it up in a team meeting, um, and said it probably wasn't
the best idea. She didn't, like, really agree. So I, uh, I think I made a spreadsheet
that kind of showed both versions, I mean, side by side, and I sent it to her. I believe
she looked at it, and, um, we talked about it a bit in our one to one. It seems she was,
you know, somewhat worried about what the director wanted, which was probably the region
view. I guess I could have pushed more, but, uh, I didn't want to, like, cause
problems. Perhaps I should have talked to the product teams first, um, to get their
input, I think, because they were the ones who, uh, really used the reports, and they
might have had, you know, a stronger view than me.
[R] In the end we sort of combined her version with mine, I think, and the product
teams were, uh, mostly fine with it, I guess.
"""),
    dict(id="a35", slug="customer_focus_weak", fmt="whisper_words", wpm=128, start=0.0,
         pauses=[2.9, 3.6, 2.4], text="""
[S] At my last job I was a backend engineer at Brambleton, an online bookshop. There
were about ten engineers on the team, and we owned the checkout and payments services.
For a while there had been complaints coming in through support about the checkout, and
our product manager kept a spreadsheet of them, but it was never really prioritised,
because the team was busy with a big migration to a new payment provider, which had
been going on for most of the year and was taking most of everyone's time. The
complaints were mostly about the address form, which rejected some international
addresses, and about the order confirmation email being slow to arrive. Our support
team had been raising it at every monthly review, and eventually our head of product
said that the checkout complaints had to be dealt with before the holiday season.
[T] Our team was asked to look at the complaints and fix the biggest problems.
[A] We went through the spreadsheet together and we grouped the complaints. We decided
to fix the address validation first, and we replaced our own validation with a library
that handles international formats. We also looked at the email delay and we moved the
sending to a queue. Our QA person tested it and we released it.
[R] After that the complaints about addresses went down a lot, and customers were
happier with checkout.
"""),
    dict(id="a36", slug="technical_depth_weak", fmt="srt", wpm=127, start=0.0,
         pauses=[2.7, 3.3, 2.5, 4.1], text="""
[S] Um, so, this was, uh, a few months ago. I'm a junior SRE at, like, a mid-sized SaaS
company, and there was, um, this issue where some requests between services would
just, you know, randomly fail with timeouts.
[T] My lead asked me to, uh, look into it, because, like, nobody else had time.
[A] So I, um, I started by looking at the logs, and, uh, the failures were, you know,
kind of random, like, not tied to any one service. I basically spent a couple of days,
um, trying to find a pattern. Then I noticed that, uh, a lot of them happened right
after, like, new pods started. I, um, I looked at the DNS settings, and, I mean, I found
that the pods were using a setting where, uh, DNS lookups could, like, take five seconds
to time out and retry. I read a bunch of, um, blog posts about it, and I tried, you
know, changing the config on a test cluster. There was also, uh, something about, like,
the conntrack table, which I basically didn't totally understand at first, so I, um,
asked someone on the network team. I also, um, checked whether it was, like, the
network itself, but that seemed fine. And then, uh, I sort of, I started testing a change
to the DNS config in staging, and I was, you know, watching the dashboards for that.
"""),
    # --------------------------------------------------------------- off-topic
    dict(id="a37", slug="conflict_offtopic", fmt="vtt", wpm=150, start=0.0, text="""
[S] At Hearthstay, a vacation rental platform, our availability search endpoint had
become the slowest part of the site. Its ninety-fifth percentile latency was close to
two seconds at peak, and the mobile team was seeing users abandon searches.
[T] I was asked to bring it under three hundred milliseconds before the summer season
without a rewrite.
[A] I started by adding tracing to a single request so I could see where the time went,
rather than guessing. About four fifths of it was one query that checked calendar
availability for every listing in the search area. I ran it with the query planner
output and saw it was doing a sequential scan over a calendar table with hundreds of
millions of rows, because the index covered listing and date but the filter started
with region. I created a composite index on region, date and listing, built
concurrently so there was no downtime, and that alone halved the latency. The rest came
from the application side. My colleague Jonas and I paired on that part. The code
loaded each listing's price rules one at a time, a classic N plus one pattern, so I
replaced it with a single batched query. I also added a short-lived cache for the
search area boundaries, which almost never change. Before each change I ran it against
a copy of production traffic in staging, and I wrote the measurements into the pull
request so reviewers could see the effect.
[R] Ninety-fifth percentile latency dropped from almost two seconds to about two
hundred and forty milliseconds, search abandonment on mobile fell by a fifth, and
database CPU at peak went down by roughly half.
"""),
    dict(id="a38", slug="failure_offtopic", fmt="plain",
         question="Tell me about something at work that didn't work out the way you'd hoped.", text="""
[S] Two summers ago I was the operations lead for Brightwater, a three-day music
festival with about 25,000 visitors a day. The previous operations lead had left in
March, and the team of 14 coordinators had no plan for the new site the festival had
moved to.
[T] I was put in charge of getting the site ready and running the operations team
through the festival.
[A] I split the site into five zones and gave each zone a coordinator who owned it end
to end, from fencing to toilets to first aid points, so nobody had to guess who was
responsible. I ran a walk-through of the empty site with all the coordinators and the
local fire service, and I found three places where the crowd flow would bottleneck, so
I redesigned the entrance layout to add two more lanes. I set up a radio protocol with
short call signs and a single control room, and I ran a tabletop exercise a week before
opening where I threw scenarios at the team, such as a lost child and a stage power
failure. During the festival I held a ten-minute briefing every morning and every
evening, and I stayed in the control room during peak hours so coordinators could reach
me instantly.
[R] The gates opened on time, the average entry queue was 11 minutes against 35 the
year before, there were no serious safety incidents, and the organisers rehired the
whole team for the next year with a 20% bigger budget.
"""),
    dict(id="a39", slug="mentoring_offtopic", fmt="srt", wpm=145, start=0.0, text="""
[S] I was a customer success manager at Vetly, which makes practice software for
veterinary clinics. One of our larger customers, a group of 18 clinics, was about to
cancel because their receptionists said the new appointment screen was slowing them
down at the front desk.
[T] I needed to understand what was going wrong for them and fix it before their
renewal date, which was six weeks away.
[A] I asked if I could spend a day at one of their busiest clinics, and I sat behind the
front desk watching the receptionists work. Within an hour I saw the problem: when a
client phoned, the receptionist had to search by the pet's name, but owners almost
always gave their own surname first, and the search did not cover owner names. Every
call needed two or three searches. I timed twenty calls and recorded the steps. I
brought that back to our product team with the recordings and a specific request,
owner surname search on the appointment screen, and I showed them that it affected
every clinic, not only this customer. While they built it, I created a saved filter the
receptionists could use as a workaround and trained the staff at each clinic over
short video calls. I also set up a fortnightly check-in with their practice manager so
she had one person to call.
[R] The search change shipped four weeks later. Average booking time at their clinics
dropped from about three minutes to just over one, and they renewed for two more years.
Across all customers, support tickets about finding appointments fell by 40%.
"""),
    dict(id="a40", slug="disagree_manager_offtopic", fmt="whisper", wpm=148, start=0.0, text="""
[S] At Soloway Energy I was a data engineer on the billing team, and the metering team
owned the pipeline that brought in readings from smart meters. Both teams needed a new
interval data feed for a time-of-use tariff that the company had promised the
regulator it would launch in April.
[T] My manager asked me to coordinate our side with the metering team and make sure the
feed was ready for billing by the end of February.
[A] I set up a joint kickoff with the metering team's lead, and rather than each team
writing its own requirements, I proposed one shared data contract: the schema, how
late readings would be handled, and who would be paged if the feed broke. I drafted the
first version myself and went through it field by field with their engineers. The only
open question was late readings, and I suggested a simple rule that readings arriving
within 72 hours would trigger a rebill, which both sides accepted. I built a contract
test that ran in their CI, so any schema change on their side would fail their build
before it reached billing. I also shared our test environment with them, so they could
see their data flowing through billing end to end. Every Thursday I posted a
one-paragraph status to both teams and my manager, with open risks and the owner of
each.
[R] The feed went live on February 20, eight days ahead of plan. The April tariff
launched for 140,000 customers, and in its first 3 months the contract test caught 4
breaking changes before they reached production.
"""),
    dict(id="a41", slug="prioritisation_offtopic", fmt="whisper_words", wpm=146, start=0.0, text="""
[S] When I joined Marlowe Freight as a pricing analyst, all of our quote analysis lived
in huge Excel workbooks that took minutes to recalculate, and the team wanted to move
to Python, but nobody on the team knew it.
[T] My manager asked me to learn Python well enough to rebuild our weekly lane pricing
report within two months.
[A] I had only used Excel and a little SQL, so I planned my learning around the report
itself rather than a general course. I broke the report into its steps, loading data,
cleaning it, joining rates, and producing charts, and for each step I learned just the
pandas I needed. I spent 45 minutes every morning before work on exercises, and I kept
a notebook of every error message I hit and what fixed it, which ended up at over 60
entries. I asked a data scientist from another department for a 30-minute review every
Friday, and I brought specific questions instead of asking her to teach me in general.
When I got stuck on merging rates with different date ranges, she showed me interval
joins, and that single idea solved the hardest part of the report. I rebuilt the report
step by step and ran it in parallel with the Excel version for three weeks, comparing
every output until the numbers matched to the cent.
[R] The Python version went live after seven weeks. It runs in 4 minutes instead of the
3 hours the Excel process took each Monday, and two colleagues have since used my
notebook of errors to learn Python themselves.
"""),
    dict(id="a42", slug="influence_offtopic", fmt="srt", wpm=150, start=0.0, text="""
[S] I was a backend engineer at Dashly, a food delivery app, and on a Friday evening our
order service started failing during the dinner rush, with about a quarter of orders
erroring at checkout.
[T] I was the on-call engineer, so it was on me to get orders flowing again as fast as
possible.
[A] We jumped on a call with the platform team and we started looking at the dashboards
together. We saw that the database connections were maxed out, and our first guess was
a bad deploy, so we rolled back the last release, but that did not help. Then we
noticed that a new promotion had gone live at six, and our promo service was making a
database call for every item in the basket. We disabled the promotion with a feature
flag, and we restarted the order service pods to clear the stuck connections. Our error
rate dropped within a few minutes. We kept watching the graphs for an hour to make sure
it held, and we let the support team know they could tell restaurants it was fixed.
The following week we wrote a postmortem with our product manager and walked the rest
of engineering through it.
[R] Orders were fully back within 25 minutes of the first alert, the company lost an
estimated $18,000 in orders compared with a normal Friday, and a load test is now
required for every new promotion.
"""),
    dict(id="a43", slug="mistake_offtopic", fmt="whisper", wpm=148, start=0.0, text="""
[S] At Kindred Labs I was a QA engineer, and our test environment setup guide was years
out of date, so every new hire lost their first few days trying to get it working.
[T] Nobody owned it, so I decided to fix it myself.
[A] I went through the setup on a fresh laptop and wrote down every step that failed. I
rewrote the guide from scratch, scripted the slowest steps, and asked two new hires to
follow it while I watched and took notes on where they got stuck. I also added a check
to our build so the guide's commands were tested every night, and I kept the scripts
in the same repository as the tests, so anyone changing the environment had to update
them too.
[R] Setup time for new hires went from about three days to under two hours, and the
guide has stayed accurate for over a year.
"""),
    dict(id="a44", slug="ambiguity_offtopic", fmt="vtt", wpm=143, start=0.0, text="""
[S] At Tallis Robotics I was a sales engineer paired with an account executive named
Greg, and within a few months we were clashing on almost every deal. He would promise
prospects features in meetings that were not on our roadmap, and I would then have to
walk those promises back in the technical sessions, which made me look obstructive and
made him look unreliable.
[T] I wanted to fix the working relationship with Greg, because we shared a territory
and a target, and the friction was starting to show in front of customers.
[A] I asked him to lunch rather than raising it in a pipeline review, and I opened by
asking how he saw our last three deals instead of listing complaints. He told me he
felt I was too cautious and that I made him look bad by correcting him in front of
buyers. That was fair. I had been doing it in the room. I told him I would stop
correcting him in front of customers, and I asked whether, in return, he would check
with me before committing to anything technical. I proposed a simple signal: if a
prospect asked for something he was unsure about, he would say he would confirm with
his engineer. I also started sending him a short weekly note on what the product team
was shipping, so he had real things to sell instead of guesses. When he did overpromise
once more, I raised it privately that same afternoon, not in the meeting.
[R] Over the next two quarters the two of us closed eight deals with zero feature
escalations after signing, compared with four escalations in the quarter before, and
Greg asked our manager to keep us paired for the following year.
"""),
    # ------------------------------------- added later (a45-a56, written and labelled
    # before any run): near-topic off-topic stories, results in words without cues
    dict(id="a45", slug="mistake_offtopic", fmt="srt", wpm=146, start=0.0, text="""
[S] Last year I was the mobile lead at Fernway, a small travel app, and we had bet our
spring release on a partnership with a rail operator whose booking system would let
users buy train tickets inside our app.
[T] My goal was to ship in-app rail booking by the end of April, with a target of five
thousand bookings in the first month.
[A] I planned the work in three stages and built the booking flow against the
operator's test system myself. I set up weekly calls with their integration team and
kept a shared list of open questions. In March their answers slowed down, so I went to
our head of partnerships and asked for a written commitment on the production date. I
also built a fallback that sent users to the operator's own website with their journey
already filled in, so that the release would not depend entirely on their side. When
the operator announced in mid April that they were closing their system to all outside
apps, I put two options to our founders within two days: ship the fallback as a
smaller feature, or drop rail and move the team to hotel search. I recommended the
fallback, wrote the release note with our designer, and moved two engineers back to
the hotel roadmap.
[R] The fallback shipped on time but drove only about nine hundred clicks to the
operator in its first month, far short of the target, and the partnership was wound
up in June. Since then I ask every partner for a notice period in the contract before
we build on their platform.
"""),
    dict(id="a46", slug="conflict_offtopic", fmt="whisper", wpm=144, start=0.3, text="""
[S] At Quillstone, a payments company with about forty engineers, every team wrote its
logs in its own format, which made incidents that crossed services slow to untangle.
[T] I was a platform engineer with no authority over the product teams, and I wanted
all six of them to adopt one structured logging format within a quarter.
[A] I started by measuring the problem. I went through the last ten incident reports
and worked out how long each team had spent just lining up logs from different
services. I wrote a two-page proposal with those figures and a draft format, and I
asked each team's tech lead for thirty minutes to walk through it with them, rather
than sending it to a mailing list. Two leads said they had no time for a migration, so
I wrote a small library that produced the new format with a one-line change, and I
paired with an engineer from each of those teams to add it to their busiest service. I
published a dashboard showing which services had switched and how much faster their
incidents were closed, and I presented it at the monthly engineering review.
[R] Five of the six teams switched within ten weeks and the last one a month later.
The median time to find the cause of a cross-service incident fell from about ninety
minutes to thirty-five, and the format is now part of the service template.
"""),
    dict(id="a47", slug="mentoring_offtopic", fmt="plain", text="""
[S] At Larkfield Press, a publisher of school books, I led a team of six designers and
developers when the company website had to be relaunched before the new school year,
because the old one could not take orders from schools at all.
[T] I was responsible for the plan, the team and a launch date of the first of August.
[A] I split the work into four streams, gave each one a clear owner, and kept the job
nobody wanted, moving eleven thousand product pages, for myself. I ran a fifteen-minute
stand-up every morning and a demo for the sales team every Friday, so that problems
came up while there was still time to fix them. In June it became clear that the
school ordering flow would not be ready, so I cut the wish list and the new blog from
the launch and moved both developers onto ordering. I agreed the cut with the sales
director myself and wrote down what we would deliver in September instead. Two weeks
before launch I organised a test day with five real schools, and I fixed the three
worst problems they found before the release.
[R] The site went live on the twenty-ninth of July, schools placed four hundred orders
online in August, and the team delivered the postponed features by mid September.
"""),
    dict(id="a48", slug="failure_offtopic", fmt="vtt", wpm=141, start=0.0, text="""
[S] In my second year at Harbor Health I was the only backend developer on a patient
reminder service, and three weeks before a regulator's deadline we learned that every
message had to carry a new consent record.
[T] I had to change the service, migrate the existing consents and pass the audit
before the deadline, without stopping the reminders that clinics relied on.
[A] I first listed every place where a message was created and found seven, two of
them in old scheduled jobs nobody had touched for years. I wrote the consent check
once in a shared module, routed all seven through it, and added tests for each. For the
migration I wrote a script that copied consents in batches of a thousand at night and
logged anything it could not match, and each morning I went through those by hand with
the clinic support team. On the second day I told my manager that I could only make
the date if the dashboard redesign waited, and she agreed. I booked a rehearsal with
the auditor a week early and fixed the two gaps they found. I also wrote a one-page
runbook so the clinic support team could handle unmatched records after I moved on.
[R] We passed the audit four days before the deadline, with all one hundred and twenty
thousand consents migrated and not one reminder missed.
"""),
    dict(id="a49", slug="learning_strong", fmt="whisper_words", wpm=148, start=0.5, text="""
[S] Two years ago I moved from web development to the data team at Pembrook Insurance,
and a month in, the only person who understood our forecasting models resigned.
[T] I was asked to take over the monthly claims forecast, which finance used to set
its reserves, and to produce the next one in six weeks.
[A] I had never built a statistical model, so I made a plan for the six weeks and
shared it with my manager. I spent the first week reading the existing code line by
line and writing down every step in plain language, and I booked an hour with the
departing analyst on his last day to check my notes. I took an evening course on time
series and applied each week's lesson to our own data rather than to the course
examples. I rebuilt last year's forecasts from the raw data to make sure I could
reproduce them exactly, and I found one step where a holiday adjustment had been
applied twice. I asked a statistician in the actuarial team to review my work every
Friday, and I kept a list of her corrections so that I would not repeat them. In week
five I ran my forecast beside the old process and explained every difference to
finance before they saw the numbers.
[R] The forecast went out on schedule in week six. Over the following year it came
within four percent of actual claims in ten months out of twelve, closer than the old
model had been, and finance now uses my written notes to train new analysts.
"""),
    dict(id="a50", slug="influence_strong", fmt="plain", text="""
[S] At Mossgiel, a furniture shop, I was a support team lead, and about a third
of our tickets came from customers who could not track a delivery, because the courier
tracking links broke whenever the warehouse split an order.
[T] The fix belonged to the warehouse software team, who did not report to me, and I
wanted them to make it a priority.
[A] I tagged every delivery ticket for a month so I had solid numbers, and I listened
to twenty calls to pick out the three most typical ones. I asked the warehouse team's
lead for a short meeting and, instead of a slide deck, played two of those calls and
showed how many hours my team spent on the problem each week. She said they could not
take it on before the next quarter, so I asked what would make it smaller. Her
engineers needed to know which courier rules caused the split, so I had two of my
agents compile them from our tickets, and I wrote the specification together with one
of her engineers. I also offered to run the testing with my team, which took work off
her side. Every Monday I sent her a three-line update on ticket numbers so the cost
stayed visible.
[R] The change went out six weeks later instead of waiting for the next quarter.
Delivery tickets fell by more than half, and my team used the hours it saved to start
answering chat around the clock.
"""),
    dict(id="a51", slug="ownership_good", fmt="vtt", wpm=142, start=0.0, text="""
[S] I work on the checkout team at Brindle, a ticketing site, and for months our
nightly test run had been failing about one night in three for reasons nobody
understood, so people had learned to simply run it again.
[T] It was not my job or anyone's, but I decided to find out why, because the reruns
were hiding real failures.
[A] I collected the results of the last sixty runs and sorted the failures by test,
and most of them came from eleven tests that shared one database and ran in parallel.
I rewrote those tests so that each one created its own data, which took me about two
weeks alongside my normal work. I added a check to the build that fails any new test
writing to the shared tables, and I wrote a short page for the team explaining the
pattern and how to follow it. I asked our lead for ten minutes at the next planning
meeting to walk everyone through it, and for the first month I reviewed every new test
that touched the database myself. When two colleagues asked why their tests now failed
the check, I paired with each of them to fix it.
[R] The nightly run has failed twice in the two months since, both times because of
real bugs, and nobody on the team reruns it out of habit any more.
"""),
    dict(id="a52", slug="mentoring_good", fmt="srt", wpm=139, start=0.0, text="""
[S] When I was a senior designer at Oakum, a banking app, a junior designer named Priya
joined my squad straight from a bootcamp, and her first two designs came back from
user testing with serious problems.
[T] Our design manager asked me to help her become independent on a feature within a
quarter.
[A] I asked Priya what she found hardest, and she said she did not know how to start
from a vague brief. So for her next feature I sat with her for the first hour while
she wrote the questions for the product manager, and I let her lead that conversation.
I showed her my own early work from years ago, including a design that had been
rejected, so she could see that a first draft is supposed to be rough. Each week I
reviewed one of her screens with her, and I asked questions instead of handing her
fixes. I arranged for her to run a user test herself, with me taking notes, and then
to present the findings to the squad on her own. When she got stuck, I pointed her to
a similar screen in our app rather than drawing it for her.
[R] By the end of the quarter she had shipped the savings goals feature with no
redesign after testing, and two months later she was mentoring the next new designer
herself.
"""),
    dict(id="a53", slug="ambiguity_weak", fmt="plain", text="""
[S] So this was at Cobbleway, which is a logistics company, and I was on the internal
tools team. The operations people had a spreadsheet that they used to plan the
drivers' routes every morning, and over about six years it had grown into something
really huge, with macros that nobody understood and tabs that referred to other tabs.
The person who built it had left the company. Every manager used it a little
differently, and there were three different versions going around by email, and some
depots had their own copies too. The head of operations said it was a risk and that
we should replace it, but she did not say with what, and when we asked the depot
managers what they needed, each of them told us something different. One wanted a
map, one wanted it to stay a spreadsheet, and one wanted an app for the drivers. There
was also a plan to open two new depots, which made everything more complicated.
[T] My task was to figure out what to build, and I was given about a quarter to come
up with something.
[A] I talked to the depot managers and wrote up what they said. I built a first
version of a web page that showed the routes on a map and showed it to some of them.
Then I changed a few things based on their comments.
"""),
    dict(id="a54", slug="technical_depth_weak", fmt="srt", wpm=138, start=0.0, text="""
[S] At Tiller, a software company for farms, we had a mobile app where farmers recorded
their harvests, and some users reported that records they had entered offline were
disappearing after their phones reconnected.
[T] We needed to find out why and fix it before the harvest season started.
[A] We looked at the sync logs first and we saw that some records were being
overwritten. We thought it was a server problem, so we added more logging to our
service. Then we tried to reproduce it on our test phones, and after a while we found
that it only happened when two devices on the same farm edited the same field. Our
conflict handling kept whichever write reached the server last, instead of looking at
when the farmer actually made the change on the device. We changed it to compare the
device times, and we added a screen where users could see both versions and pick the
right one. I wrote some of the tests for the new logic. We tested it with some of the
farmers before releasing it to everyone, and we also updated our help pages. We also spent a day checking whether the phones'
clocks could be trusted, and we decided they were close enough.
[R] After that the problem went away and the farmers were happier with the app.
"""),
    dict(id="a55", slug="cross_team_mediocre", fmt="whisper", wpm=140, start=0.0, text="""
[S] At Verity Bank I was a backend developer on the mobile team, and we needed the fraud
team to change how their service scored card payments, because our new instant payment
feature was being blocked far too often.
[T] I was asked to work with them to get the false blocks down before the feature
launched to all customers.
[A] I set up a meeting with their lead and brought examples of blocked payments that
were clearly genuine. They explained that their model had never seen instant payments,
so it treated them as unusual. I offered to share our payment data with them in the
format they used, and I wrote the export job myself. I joined their weekly meeting for
a couple of months to answer questions about our feature, and when they proposed a new
rule, I tested it against our own records before it went live. At one point their
changes were delayed by an internal audit, so I agreed with my product manager to
launch to staff first and wait for the fix before opening it up. I also wrote a short
guide for our support staff on what to tell customers whose payment was blocked.
[R] In the end the false blocks came down a lot, the launch went ahead, and the fraud
team and our team still meet regularly.
"""),
    dict(id="a56", slug="pressure_mediocre", fmt="plain", text="""
[S] I was a frontend developer at Calloway Events, and we were building the ticket page
for a big conference. About two weeks before our planned date, the organisers decided
to open sales a week early, because a competitor had announced a similar event.
[T] I had to get the checkout and the seat picker finished in half the time I had
planned.
[A] I think the first thing I did was sit down with the designer and cut anything that
was not strictly needed, such as the animated seat map, which I guess we could add
later. I probably worked a couple of late evenings too. I reused the payment form from
our older project instead of building a new one, which maybe saved me three or four
days. I asked the backend developer to give me a fake version of the seat service early
so I did not have to wait for him, and it seemed to work well. I tested on my own phone
and the office tablets, and I asked two people from sales to try buying tickets.
Perhaps I should have asked for help sooner, because the last weekend was quite
stressful for everyone.
[R] The page went live on the new date and sold about two thousand tickets on the first
day, though hopefully nobody noticed the small layout bugs we fixed the following week.
"""),
]

# ---------------------------------------------------------------------------
# Text handling
# ---------------------------------------------------------------------------

MARK = re.compile(r"\[(S|T|A|R)\]")


def parts_of(text):
    """The answer's STAR parts: {'S': str, 'T': str, 'A': str, 'R': str}."""
    pieces = MARK.split(text)
    parts = {"S": "", "T": "", "A": "", "R": ""}
    if pieces[0].strip():
        raise ValueError("text before the first marker")
    for label, body in zip(pieces[1::2], pieces[2::2]):
        parts[label] = " ".join(body.split())
    return parts


def answer_text(answer):
    """The spoken answer as one line of text (no markers)."""
    p = parts_of(answer["text"])
    return " ".join(x for x in (p["S"], p["T"], p["A"], p["R"]) if x)


def plain_paragraphs(answer):
    p = parts_of(answer["text"])
    first = " ".join(x for x in (p["S"], p["T"]) if x)
    return [x for x in (first, p["A"], p["R"]) if x]


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------

MIN_CUE_S, MAX_CUE_S = 4.8, 9.2  # intended cue lengths (the set's limits are 4-10 s)


def chunk_words(words, wpm):
    """Split words into cues of about 4.8-9.2 seconds at `wpm`, preferring to cut at the
    end of a sentence, then after a comma."""
    per_s = wpm / 60.0
    lo = math.ceil(MIN_CUE_S * per_s)
    hi = math.floor(MAX_CUE_S * per_s)
    target = round(6.6 * per_s)
    chunks, cur = [], []
    for w in words:
        cur.append(w)
        n = len(cur)
        if (n >= lo and w[-1] in ".?!") or (n >= target and w.endswith(",")):
            chunks.append(cur)
            cur = []
        elif n >= hi:
            # too long: cut after the last punctuation that leaves a long enough cue
            cut = max((j + 1 for j in range(lo - 1, n - 1) if cur[j][-1] in ".?!,;:"), default=n)
            chunks.append(cur[:cut])
            cur = cur[cut:]
    if cur:
        chunks.append(cur)
    if len(chunks) > 1 and len(chunks[-1]) < lo:
        merged = chunks[-2] + chunks[-1]
        if len(merged) <= hi + 1 or len(merged) < 2 * lo:
            chunks[-2:] = [merged]
        else:
            half = len(merged) // 2
            chunks[-2:] = [merged[:half], merged[half:]]
    return chunks


def weight(word):
    """Relative speaking time of a word (longer words take longer)."""
    letters = sum(c.isalnum() for c in word)
    return 0.55 + 0.075 * letters + (0.12 if word[-1] in ",.?!:;" else 0.0)


def timed_cues(answer):
    """[(start, end, [(word, start, end), ...]), ...] in seconds, rounded to ms."""
    words = answer_text(answer).split()
    wpm = answer["wpm"]
    rng = random.Random(answer["id"])
    chunks = chunk_words(words, wpm)
    n = len(chunks)
    gaps = [round(rng.uniform(0.05, 0.45), 2) for _ in range(n - 1)]
    pauses = answer.get("pauses", [])
    for k, p in enumerate(pauses):
        at = round((k + 1) * n / (len(pauses) + 1)) - 1
        at = min(max(at, 0), n - 2)
        gaps[at] = p
    total = len(words) / wpm * 60.0
    speaking = total - sum(gaps)
    ws = [weight(w) for w in words]
    per_weight = speaking / sum(ws)
    t = answer.get("start", 0.0)
    cues, i = [], 0
    for c, chunk in enumerate(chunks):
        cstart = t
        timed = []
        for w in chunk:
            d = ws[i] * per_weight
            timed.append((w, t, t + d * 0.9))
            t += d
            i += 1
        cues.append((cstart, t, timed))
        if c < n - 1:
            t += gaps[c]
    return cues


def fmt_clock(seconds, sep):
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def wrap(text, width=42):
    """One or two lines, split at the space nearest the middle when long."""
    if len(text) <= width:
        return [text]
    mid = len(text) // 2
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - mid))
    return [text[:cut], text[cut + 1:]]


def r2(x):
    return round(x + 1e-9, 2)


def write_vtt(answer, cues):
    out = ["WEBVTT", ""]
    for start, end, timed in cues:
        out.append(f"{fmt_clock(start, '.')} --> {fmt_clock(end, '.')}")
        out.extend(wrap(" ".join(w for w, _, _ in timed)))
        out.append("")
    return "\n".join(out)


def write_srt(answer, cues):
    out = []
    for k, (start, end, timed) in enumerate(cues, 1):
        out.append(str(k))
        out.append(f"{fmt_clock(start, ',')} --> {fmt_clock(end, ',')}")
        out.extend(wrap(" ".join(w for w, _, _ in timed)))
        out.append("")
    return "\n".join(out)


def write_whisper(answer, cues, with_words):
    segments = []
    for k, (start, end, timed) in enumerate(cues):
        seg = {
            "id": k,
            "start": r2(start),
            "end": r2(end),
            "text": " " + " ".join(w for w, _, _ in timed),
        }
        if with_words:
            seg["words"] = [{"word": " " + w, "start": r2(s), "end": r2(e)} for w, s, e in timed]
        segments.append(seg)
    doc = {"text": "".join(s["text"] for s in segments), "segments": segments, "language": "en"}
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def write_plain(answer):
    paras = plain_paragraphs(answer)
    if answer.get("question"):
        return f"Interviewer: {answer['question']}\n\nCandidate: " + "\n\n".join(paras) + "\n"
    return "\n\n".join(paras) + "\n"


def file_name(answer):
    return f"{answer['id']}_{answer['slug']}.{EXT[answer['fmt']]}"


def seconds_of(answer):
    """First cue start to last cue end, as written in the file."""
    cues = timed_cues(answer)
    if answer["fmt"] in ("whisper", "whisper_words"):
        return round(r2(cues[-1][1]) - r2(cues[0][0]), 2)
    return round(round(cues[-1][1], 3) - round(cues[0][0], 3), 3)


def render(answer):
    fmt = answer["fmt"]
    if fmt == "plain":
        return write_plain(answer)
    cues = timed_cues(answer)
    if fmt == "vtt":
        return write_vtt(answer, cues)
    if fmt == "srt":
        return write_srt(answer, cues)
    return write_whisper(answer, cues, with_words=(fmt == "whisper_words"))


def main():
    summary = "--summary" in sys.argv
    ids = set()
    for a in ANSWERS:
        assert a["id"] not in ids, a["id"]
        ids.add(a["id"])
        text = render(a)
        (HERE / file_name(a)).write_text(text, encoding="utf-8")
        if summary:
            n = len(answer_text(a).split())
            if a["fmt"] == "plain":
                print(f"{a['id']} {a['fmt']:14} words={n}")
            else:
                secs = seconds_of(a)
                cues = timed_cues(a)
                lens = [e - s for s, e, _ in cues]
                print(f"{a['id']} {a['fmt']:14} words={n} seconds={secs} wpm={n / secs * 60:.1f} "
                      f"cues={len(cues)} cue_len={min(lens):.1f}-{max(lens):.1f}")


if __name__ == "__main__":
    main()
