// tghub's GraphiQL page: queries and mutations are POSTed to /graphql, subscriptions go over
// a graphql-transport-ws websocket on the same host. The JSON typed into the Headers tab is
// sent with every POST and, for subscriptions, as the `connection_init` payload, which the
// server reads as {"Authorization": "Bearer <token>"}.
(function () {
  "use strict";

  var httpUrl = new URL("/graphql", window.location.href).toString();
  var wsUrl = (function () {
    var url = new URL("/graphql", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.hash = "";
    url.search = "";
    return url.toString();
  })();

  var DEFAULT_HEADERS = JSON.stringify({ Authorization: "Bearer " }, null, 2);

  var DEFAULT_QUERY = [
    "# tghub GraphQL API",
    "#",
    "# To authenticate: run Login, copy accessToken,",
    "# and paste it after 'Bearer ' in the Headers tab:",
    '#   {"Authorization": "Bearer <token>"}',
    "# Subscriptions send the same headers when the",
    "# websocket connects (connection_init payload).",
    "",
    "mutation Login {",
    '  login(input: {username: "admin", password: "..."}) {',
    "    __typename",
    "    ... on AuthTokens {",
    "      accessToken",
    "      refreshToken",
    "    }",
    "    ... on AuthenticationError {",
    "      message",
    "      code",
    "    }",
    "  }",
    "}",
    "",
    "query Viewer {",
    "  viewer {",
    "    id",
    "    username",
    "  }",
    "}",
    "",
  ].join("\n");

  var httpFetcher = GraphiQL.createFetcher({ url: httpUrl });

  function isSubscription(documentAST, operationName) {
    if (!documentAST) return false;
    var wanted = operationName || undefined;
    return documentAST.definitions.some(function (node) {
      if (node.kind !== "OperationDefinition" || node.operation !== "subscription") return false;
      var name = node.name ? node.name.value : undefined;
      return name === wanted || (!wanted && documentAST.definitions.length === 1);
    });
  }

  function describeSocketError(error) {
    if (Array.isArray(error)) return error; // GraphQL errors sent by the server
    if (error && typeof error.code === "number") {
      var reason = error.code + " " + (error.reason || "");
      if (error.code === 4403) {
        return {
          message:
            "Websocket refused (" + reason.trim() + "): put a valid access token in the " +
            'Headers tab as {"Authorization": "Bearer <token>"}.',
        };
      }
      return { message: "Websocket closed: " + reason.trim() };
    }
    if (error instanceof Error) return { message: error.message };
    return { message: "Websocket error (is the server reachable?)" };
  }

  // One short-lived client per subscription, so the headers in the editor at the moment
  // the user presses Run are the ones sent; no retries, so a refused token shows at once.
  function subscriptionObservable(params, headers) {
    return {
      subscribe: function (sink) {
        var client = graphqlWs.createClient({
          url: wsUrl,
          connectionParams: headers || {},
          lazy: true,
          retryAttempts: 0,
        });
        var done = false;
        var finish = function () {
          if (done) return;
          done = true;
          client.dispose();
        };
        var unsubscribe = client.subscribe(params, {
          next: function (value) {
            sink.next(value);
          },
          error: function (error) {
            finish();
            sink.error(describeSocketError(error));
          },
          complete: function () {
            finish();
            sink.complete();
          },
        });
        return {
          unsubscribe: function () {
            unsubscribe();
            finish();
          },
        };
      },
    };
  }

  function fetcher(params, opts) {
    var headers = (opts && opts.headers) || {};
    if (isSubscription(opts && opts.documentAST, params.operationName)) {
      return subscriptionObservable(params, headers);
    }
    return httpFetcher(params, opts);
  }

  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      defaultQuery: DEFAULT_QUERY,
      defaultHeaders: DEFAULT_HEADERS,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      inputValueDeprecation: true,
    }),
  );
})();
