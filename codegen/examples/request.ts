// How a client uses generated/graphql.ts with nothing but fetch: a typed document in, its
// typed result out. `make codegen` type-checks this file with the output, so it keeps
// compiling as the schema and the operations change (docs/codegen.md).
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

import { ChatsDocument, LoginDocument } from '../generated/graphql';

type Answer<Result> = {
  readonly data?: Result | null;
  readonly errors?: ReadonlyArray<{ readonly message: string }>;
};

export async function request<Result, Variables>(
  endpoint: string,
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
  accessToken?: string,
): Promise<Result> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (accessToken !== undefined) headers.Authorization = `Bearer ${accessToken}`;
  const response = await fetch(endpoint, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: print(document), variables }),
  });
  const answer = (await response.json()) as Answer<Result>;
  if (answer.errors?.length || !answer.data) {
    throw new Error(answer.errors?.map((error) => error.message).join('; ') ?? 'no data');
  }
  return answer.data;
}

// Mutations answer with a union: __typename narrows it to the success or one error type.
export async function logIn(endpoint: string, username: string, password: string): Promise<string> {
  const { login } = await request(endpoint, LoginDocument, { input: { username, password } });
  switch (login.__typename) {
    case 'LoginSuccess':
      return login.accessToken;
    case 'RateLimitedError':
      throw new Error(`${login.message} (again in ${login.retryAfter} s)`);
    case 'AuthenticationError':
      throw new Error(login.message);
  }
}

export async function chatTitles(endpoint: string, accessToken: string): Promise<string[]> {
  const { chats } = await request(endpoint, ChatsDocument, { first: 20 }, accessToken);
  return chats.edges.map((edge) => edge.node.title);
}
