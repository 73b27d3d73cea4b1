// Asking before something that cannot be undone, in a modal <dialog> (focus stays inside; Escape cancels).

import { h } from "./dom.js";

/** Resolves true when the person confirms, false when they cancel. */
export function confirmAction({ title, body, confirm, cancel = "Cancel" }) {
  return new Promise((resolve) => {
    const titleId = `dialog-title-${Date.now()}`;
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": titleId },
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: titleId, text: title }),
        h("p", { text: body }),
        h(
          "div",
          { class: "actions" },
          h("button", { value: "cancel", class: "quiet", text: cancel }),
          h("button", { value: "confirm", class: "danger", text: confirm }),
        ),
      ),
    );
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "confirm");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector("button.quiet").focus();
  });
}
