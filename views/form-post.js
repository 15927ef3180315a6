// The form_post response page (OAuth 2.0 Form Post Response Mode): submits the hidden form
// to the client's redirect URI at once. It is a file of its own because the pages' Content
// Security Policy allows no inline script; without JavaScript the page shows a button.

document.getElementById("form-post").submit();
