// Meeting the companion: a short interview, one question at a time, then the moment it reads every given
// name it knows and chooses its own.

import { get, post } from "../api.js";
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
    if (question.index + 1 === question.total) {
      form.hidden = true;
      said.replaceChildren(h("p", { class: "voice", text: THINKING }));
      section.append(breath);
    }
    try {
      const reply = await busy(submit, "…", () => post("/api/onboarding", { key: question.key, answer: text }));
      said.replaceChildren(h("p", { class: "voice", text: reply.reaction }));
      if (reply.question) ask(reply.question);
      else naming(section, app, reply);
    } catch (failure) {
      if (breath.isConnected) said.replaceChildren();
      breath.remove();
      form.hidden = false;
      error.textContent = failure.message;
      answer.focus();
    }
  });

  section.append(title, h("div", { class: "progress-row" }, meter, progress), said, form);
  ask(question);
}

function naming(section, app, { reaction, companion, naming: found }) {
  const steps = found.steps.map(([what, n], i) =>
    h("li", { style: `--i: ${i}` }, h("span", { class: "count", text: count(n) }), ` ${what}`),
  );
  const after = found.steps.length;
  const names = found.names.map((name) => h("li", { class: name === companion.name ? "chosen" : "", text: name }));
  app.meet(companion);
  const title = h("h1", { class: "eyebrow", id: "welcome-title", text: "Choosing a name" });
  const chosen = h(
    "div",
    { class: "chosen-name reveal", style: `--i: ${after + 2}` },
    h("p", { class: "eyebrow", text: "I chose" }),
    h("h2", { class: "name", text: companion.name }),
    h("p", { class: "voice why", text: companion.why }),
    h("button", { type: "button", class: "primary", text: "Say hello", onclick: () => app.go("chat") }),
  );
  chosen.addEventListener("animationstart", () => chosen.scrollIntoView({ behavior: "smooth", block: "nearest" }));
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
        h("p", {
          class: "shortlist-title reveal",
          style: `--i: ${after}`,
          text: `The last ${names.length}, said aloud:`,
        }),
        h("ul", { class: "shortlist reveal", style: `--i: ${after}` }, names),
      ),
      chosen,
    ),
  );
  title.tabIndex = -1;
  title.focus();
}
