// Building the page from data. Words from the user, the companion or the server always go in as text
// (textContent, text nodes), never as HTML.

/** An element: h("p", {class: "note", text: words}, child, ...). Props starting with "on" add listeners. */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = value;
    else if (key === "text") element.textContent = value;
    else if (key === "value") element.value = value;
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** Enter submits the form; Shift+Enter starts a new line (and typing with an input method is left alone). */
export function submitOnEnter(textarea) {
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      textarea.form.requestSubmit();
    }
  });
}

/** A textarea that grows with what is typed (up to the height its CSS allows). */
export function growing(textarea) {
  const fit = () => {
    textarea.style.height = "auto";
    if (textarea.value) textarea.style.height = `${textarea.scrollHeight + 2}px`; // (an empty one has its rows)
  };
  textarea.addEventListener("input", fit);
  return fit;
}

/** A button that shows it is busy while `work` runs, and is usable again after. */
export async function busy(button, label, work) {
  const idle = button.textContent;
  button.disabled = true;
  button.textContent = label;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.textContent = idle;
  }
}

/** Move the keyboard focus to a view's heading, so a screen reader announces the new page. */
export function focusHeading(root) {
  const heading = root.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}
