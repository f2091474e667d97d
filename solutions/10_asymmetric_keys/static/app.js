// The page's script. It never sees a token: the browser keeps them in httponly cookies and sends them by
// itself. What the script does read is the CSRF cookie, to prove to the server that a request comes from this
// page (README.md, CSRF). No token is ever kept in localStorage or in a variable.

// The value of a cookie the page can read (the CSRF cookies), or "" if there is none.
function readCookie(name) {
  const found = document.cookie.split("; ").find((pair) => pair.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

// One request to the API, with the cookies, and the CSRF header on every request that changes something.
function send(method, path, body) {
  const headers = {};
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
  }
  // cookie for /refresh, of the csrf_access_token cookie for everything else
  if (method !== "GET") {
    headers["X-CSRF-TOKEN"] = readCookie(path === "/refresh" ? "csrf_refresh_token" : "csrf_access_token");
  }
  return fetch(path, {method, headers, body: JSON.stringify(body), credentials: "same-origin"});
}

// send(), and when the access cookie has expired (401), one refresh with the refresh cookie, then again.
// (The page cannot see the refresh cookie itself; its CSRF cookie says that there is one.)
async function api(method, path, body) {
  let response = await send(method, path, body);
  if (response.status === 401 && readCookie("csrf_refresh_token")) {
    const refreshed = await refreshOnce();
    if (refreshed.ok) {
      response = await send(method, path, body);
    }
  }
  return response;
}

// One POST /refresh for all the requests that need it at once: each refresh cookie works once (lesson 06), so
// two refreshes with the same cookie would look like a stolen copy, and end the login.
let refreshing = null;
function refreshOnce() {
  if (refreshing === null) {
    refreshing = send("POST", "/refresh").finally(() => { refreshing = null; });
  }
  return refreshing;
}

// Show an answer in the course's error shape ({status, code, message}); say whether it was an error.
async function failed(response) {
  if (response.ok) {
    document.getElementById("error").textContent = "";
    return false;
  }
  const error = await response.json().catch(() => ({status: response.status, code: "", message: ""}));
  document.getElementById("error").textContent = `${error.status} ${error.code}: ${error.message}`;
  return true;
}

async function showUser() {
  const response = await api("GET", "/me");
  const loggedIn = response.ok;
  document.getElementById("login-form").hidden = loggedIn;
  document.getElementById("private").hidden = !loggedIn;
  document.getElementById("who").textContent = loggedIn ? (await response.json()).username : "";
}

async function showPosts() {
  const response = await api("GET", "/blogs");
  const list = document.getElementById("posts");
  list.replaceChildren();
  if (await failed(response)) {
    return;
  }
  for (const blog of (await response.json()).blogs) {
    const item = document.createElement("li");
    item.textContent = `${blog.title}: ${blog.body}`;  // textContent: a post's text is never run as HTML
    list.append(item);
  }
}

async function logIn(event) {
  event.preventDefault();
  const username = document.getElementById("username").value;
  const password = document.getElementById("password").value;
  const response = await send("POST", "/login", {username, password, cookies: true});
  if (!(await failed(response))) {
    document.getElementById("password").value = "";
    await showUser();
    await showPosts();
    if (!document.getElementById("who").textContent) {  // the login answered, but no cookie logs us in
      document.getElementById("error").textContent = "Logged in, but no login cookie came back: see TODO 1";
    }
  }
}

async function publish(event) {
  event.preventDefault();
  const title = document.getElementById("title").value;
  const body = document.getElementById("body").value;
  if (!(await failed(await api("POST", "/blogs", {title, body})))) {
    document.getElementById("publish-form").reset();
    await showPosts();
  }
}

async function logOut() {
  await failed(await api("POST", "/logout"));
  await showUser();
  await showPosts();
}

document.getElementById("login-form").addEventListener("submit", logIn);
document.getElementById("publish-form").addEventListener("submit", publish);
document.getElementById("logout").addEventListener("click", logOut);
showUser().then(showPosts).then(() => document.body.classList.add("ready"));
