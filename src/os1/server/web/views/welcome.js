// Meeting the companion: a short interview, one question at a time, then the moment it reads every given
// name it knows and chooses its own; the user may ask for another ("Choose another name", or in words).

import { get, post, postStreamed } from "../api.js";
import { busy, growing, h, submitOnEnter } from "../dom.js";
import { count } from "../format.js";

const THINKING = "Give me a moment. I'm reading every given name I know, to find one that feels like mine.";

export function welcomeView(root, app) {
  const section = h("section", { class: "welcome", "aria-labelledby": "welcome-title" });
  root.append(section);
  get("/api/onboarding").then(
    (state) => {
      if (state.done) {
        app.meet(state.companion);
        app.go("chat");
      } else {
        interview(section, app, state);
      }
    },
    (error) => section.append(h("p", { class: "form-error", role: "alert", text: error.message })),
  );
}

function interview(section, app, { greeting, question }) {
  const said = h("div", { class: "said", "aria-live": "polite" });
  if (question.index === 0) said.append(h("p", { class: "voice", text: greeting }));
  const title = h("h1", { class: "eyebrow", id: "welcome-title", text: "Getting to know you" });
  const progress = h("p", { class: "progress" });
  const meter = h("div", { class: "meter", "aria-hidden": "true" });
  const prompt = h("label", { class: "question", for: "answer" });
  const answer = h("textarea", { id: "answer", rows: 2, maxlength: 2000, required: true, autocomplete: "off" });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary" });
  const form = h(
    "form",
    { class: "stack", novalidate: true },
    prompt,
    answer,
    error,
    h("div", { class: "actions" }, submit),
  );
  const fit = growing(answer);
  submitOnEnter(answer);

  function ask(next) {
    question = next;
    progress.textContent = `Question ${next.index + 1} of ${next.total}`;
    meter.replaceChildren(
      ...Array.from({ length: next.total }, (_, i) => h("span", { class: i <= next.index ? "done" : "" })),
    );
    prompt.textContent = next.text;
    submit.textContent = next.index + 1 === next.total ? "Finish" : "Continue";
    answer.value = "";
    fit();
    answer.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = answer.value.trim();
    error.textContent = "";
    if (!text) {
      error.textContent = "Say anything at all: there are no wrong answers.";
      return;
    }
    const breath = h("div", { class: "breath", "aria-hidden": "true" });
    const last = question.index + 1 === question.total;
    if (last) {
      form.hidden = true;
      said.replaceChildren(h("p", { class: "voice", text: THINKING }));
      section.append(breath);
    }
    try {
      const body = { key: question.key, answer: text };
      if (last) {
        await busy(submit, "…", () => postStreamed("/api/onboarding", body, nameAsItHappens(section, app, said)));
        return;
      }
      const reply = await busy(submit, "…", () => post("/api/onboarding", body));
      said.replaceChildren(h("p", { class: "voice", text: reply.reaction }));
      ask(reply.question);
    } catch (failure) {
      if (section.classList.contains("named")) {
        // the naming failed after it began: the page goes back to the last question, as the server did
        section.classList.remove("named");
        section.replaceChildren(title, h("div", { class: "progress-row" }, meter, progress), said, form);
      }
      if (last) said.replaceChildren();
      breath.remove();
      form.hidden = false;
      error.textContent = failure.message;
      answer.focus();
    }
  });

  section.append(title, h("div", { class: "progress-row" }, meter, progress), said, form);
  ask(question);
}

// The naming as the server tells it: its reaction to the last answer, then the steps that narrowed every given
// name to a few (shown one after another while it chooses), then the name it chose.
function nameAsItHappens(section, app, said) {
  let reaction = "";
  let chosenSlot = null;
  let shortlist = null;
  return (part) => {
    if (part.reaction !== undefined) {
      reaction = part.reaction;
      said.replaceChildren(h("p", { class: "voice", text: reaction }), h("p", { class: "voice", text: THINKING }));
    } else if (part.naming) {
      [chosenSlot, shortlist] = narrowing(section, reaction, part.naming);
    } else if (part.companion) {
      if (!chosenSlot) [chosenSlot, shortlist] = narrowing(section, reaction, { steps: [], names: [] });
      chose(app, part.companion, chosenSlot, shortlist);
    }
  };
}

function narrowing(section, reaction, found) {
  const steps = found.steps.map(([what, n], i) =>
    h("li", { style: `--i: ${i}` }, h("span", { class: "count", text: count(n) }), ` ${what}`),
  );
  const after = found.steps.length;
  const names = h(
    "ul",
    { class: "shortlist reveal", style: `--i: ${after}` },
    found.names.map((name) => h("li", { text: name })),
  );
  const title = h("h1", { class: "eyebrow", id: "welcome-title", text: "Choosing a name" });
  const slot = h(
    "div",
    { class: "chosen-name reveal", style: `--i: ${after + 1}`, "aria-live": "polite" },
    h("p", { class: "eyebrow", text: "Saying them aloud…" }),
    h("div", { class: "breath", "aria-hidden": "true" }),
  );
  section.classList.add("named");
  section.replaceChildren(
    h(
      "div",
      { class: "naming" },
      h("p", { class: "voice", text: reaction }),
      h(
        "div",
        {},
        title,
        h("ol", { class: "steps" }, steps),
        found.names.length
          ? h("p", {
              class: "shortlist-title reveal",
              style: `--i: ${after}`,
              text: `The last ${found.names.length}, said aloud:`,
            })
          : null,
        names,
      ),
      slot,
    ),
  );
  title.tabIndex = -1;
  title.focus();
  return [slot, names];
}

function chose(app, companion, slot, shortlist, again = false) {
  app.meet(companion);
  for (const item of shortlist.children) {
    if (item.classList.contains("chosen")) item.classList.add("refused");
    item.classList.toggle("chosen", item.textContent === companion.name);
  }
  const error = h("p", { class: "form-error", role: "alert" });
  const another = h("button", { type: "button", class: "quiet", text: "Choose another name" });
  const words = h("input", {
    id: "about-name",
    type: "text",
    maxlength: 2000,
    autocomplete: "off",
    placeholder: "Like it? Or say “another one”",
  });
  const form = h(
    "form",
    { class: "about-name" },
    h("label", { for: "about-name", class: "visually-hidden", text: `What you think of the name ${companion.name}` }),
    words,
  );

  // The server decides whether the words turn the name down; anything else is kept for the conversation.
  async function answer(said) {
    error.textContent = "";
    try {
      const reply = await busy(another, "…", () => post("/api/rename", said === null ? {} : { said }));
      if (reply.renamed) chose(app, reply.companion, slot, shortlist, true);
      else {
        app.state.draft = said;
        app.go("chat");
      }
    } catch (failure) {
      error.textContent = failure.message;
    }
  }
  another.addEventListener("click", () => answer(null));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (words.value.trim()) answer(words.value.trim());
  });

  slot.replaceChildren(
    h("p", { class: "eyebrow", text: again ? "Then I choose" : "I chose" }),
    h("h2", { class: "name", text: companion.name }),
    h("p", { class: "voice why", text: companion.why }),
    form,
    error,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "primary", text: "Say hello", onclick: () => app.go("chat") }),
      another,
    ),
  );
  slot.scrollIntoView({ behavior: "smooth", block: "nearest" });
}
