"""Follow-up that runs itself: sequences of `system_map/sequences.yml` on durable business-day timers.

    enrolling.py   triggers -> enrolments: a lead gone quiet, a deal quiet in a stage, a job closed
    exits.py       what stops a sequence (reply, meeting, deal advanced, unsubscribe, bounce) and the
                   replies to a close-out's satisfaction check that need reading
    firing.py      each jobs run fires every due timer exactly once, then schedules the next step
    steps.py       what a step does: a mail (drafted, through the approval gate), a task, a notification
    schedule.py    when the next step is due, in business time
    closeout.py    a job closed (`opsys job close`, a delivered stage) and what a read reply leads to
    sentiment.py   a reply read as positive / neutral / negative (embeddings, the LLM only when unsure)
    fields.py      what a template's {fields} are filled with
    commands.py    `opsys sequences`, `opsys sequence stop`
    founder_items.py   unhappy clients on the founder's page
"""
