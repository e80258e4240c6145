import {
  BulkOperationType,
  ChangeFeedStartFrom,
  type Container,
  CosmosClient,
  type OperationInput,
  type PatchOperation,
  StatusCodes,
} from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CosmosEmulator, cosmosClientOptionsFor, startCosmosEmulator } from '../cosmos/index.js';

// The flows of the official @azure/cosmos v4 samples (Azure/azure-sdk-for-js,
// sdk/cosmosdb/cosmos/samples/v4/typescript/src: ItemManagement.ts, Bulk.ts, ChangeFeedIterator/*), written as
// tests that take the same steps against the emulator; only the connection settings are local.

let emulator: CosmosEmulator;
let client: CosmosClient;

beforeAll(async () => {
  emulator = await startCosmosEmulator({ createContainers: false });
  client = new CosmosClient(cosmosClientOptionsFor(emulator));
});
afterAll(async () => {
  client?.dispose();
  await emulator?.stop();
});

const families = [
  {
    id: 'AndersenFamily',
    lastName: 'Andersen',
    parents: [{ firstName: 'Thomas' }, { firstName: 'Mary Kay' }],
    children: [{ firstName: 'Henriette Thaulow', gender: 'female', grade: 5 }],
    address: { state: 'WA', county: 'King', city: 'Seattle' },
  },
  {
    id: 'WakefieldFamily',
    parents: [{ familyName: 'Wakefield', givenName: 'Robin' }],
    children: [{ familyName: 'Merriam', givenName: 'Jesse', gender: 'female', grade: 1 }],
    address: { state: 'NY', county: 'Manhattan', city: 'NY' },
  },
];

describe('ItemManagement sample', () => {
  it('creates, lists, reads (304 on an unchanged ETag), queries, upserts, replaces conditionally, patches and deletes', async () => {
    const { database } = await client.databases.createIfNotExists({ id: 'samples' });
    // No partition key given: the SDK makes one (/_partitionKey), and items without it live in the "none" partition.
    const { container } = await database.containers.createIfNotExists({ id: 'families' });
    await Promise.all(families.map((family) => container.items.create(family)));

    const { resources: listed } = await container.items.readAll().fetchAll();
    expect(listed.map((family) => family.id).sort()).toEqual(['AndersenFamily', 'WakefieldFamily']);

    const item = container.item('AndersenFamily', undefined);
    const { resource: read } = await item.read();
    const unchanged = await item.read({ accessCondition: { type: 'IfNoneMatch', condition: read._etag } });
    expect(unchanged.statusCode).toBe(StatusCodes.NotModified);
    expect(unchanged.resource).toBeFalsy();
    read.foo = 'bar';
    await item.replace(read);
    const changed = await item.read({ accessCondition: { type: 'IfNoneMatch', condition: read._etag } });
    expect(changed.statusCode).toBe(StatusCodes.Ok);

    const { resources: found } = await container.items
      .query({
        query: 'SELECT * FROM Families f WHERE  f.lastName = @lastName',
        parameters: [{ name: '@lastName', value: 'Andersen' }],
      })
      .fetchAll();
    expect(found).toHaveLength(1);
    const person = found[0];
    person.children.push({ firstName: 'Newborn', gender: 'unknown', fingers: 10, toes: 10 });
    person.lastName = 'Updated Family';
    const { resource: upserted } = await container.items.upsert(person);
    expect(upserted?.children).toHaveLength(2);

    person.foo = 'bar';
    await item.replace(person);
    person.foo = 'should never get set';
    await expect(
      item.replace(person, { accessCondition: { type: 'IfMatch', condition: person._etag } }),
    ).rejects.toMatchObject({ code: StatusCodes.PreconditionFailed });

    const source = { ...listed.find((family) => family.id === 'WakefieldFamily'), foo: 'baz' };
    const { resource: updated } = await container.items.upsert(source);
    const { resource: inserted } = await container.items.upsert({ ...source, id: 'HazzardFamily' });
    expect(updated?._rid).not.toBe(inserted?._rid);

    const single: PatchOperation[] = [{ op: 'replace', path: '/lastName', value: 'Martin' }];
    expect((await item.patch(single)).resource?.lastName).toBe('Martin');
    const multiple: PatchOperation[] = [
      { op: 'add', path: '/aka', value: 'MeFamily' },
      { op: 'replace', path: '/lastName', value: 'Jose' },
      { op: 'remove', path: '/parents' },
      { op: 'set', path: '/address/zip', value: 90211 },
      { op: 'incr', path: '/address/zip', value: 5 },
    ];
    const { resource: patched } = await item.patch(multiple);
    expect(patched).toMatchObject({ aka: 'MeFamily', lastName: 'Jose', address: { zip: 90216 } });
    expect(patched?.parents).toBeUndefined();
    const condition = 'from c where NOT IS_DEFINED(c.newImproved)';
    const operations: PatchOperation[] = [{ op: 'add', path: '/newImproved', value: 'it works' }];
    expect((await item.patch({ condition, operations })).resource?.newImproved).toBe('it works');
    await expect(item.patch({ condition, operations })).rejects.toMatchObject({
      code: StatusCodes.PreconditionFailed,
    });

    expect((await item.delete()).statusCode).toBe(StatusCodes.NoContent);
  });
});

describe('Bulk sample', () => {
  it('runs Create, Upsert, Read, Delete, Replace and Patch across partitions (true, {}, 5, "A", "U")', async () => {
    const { database } = await client.databases.create({ id: 'bulk db' });
    const { container } = await database.containers.create({
      id: 'bulkContainerV2',
      partitionKey: { paths: ['/key'], version: 2 },
    });
    await container.items.create({ id: 'item1', key: true, class: '2010' });
    await container.items.create({ id: 'item2', key: {}, class: '2011' });
    await container.items.create({ id: 'item3', key: 5, class: '2012' });
    await container.items.create({ id: 'item4', key: 5, class: '2019' });
    const operations: OperationInput[] = [
      {
        operationType: BulkOperationType.Create,
        partitionKey: 'A',
        resourceBody: { id: 'doc1', name: 'sample', key: 'A' },
      },
      {
        operationType: BulkOperationType.Upsert,
        partitionKey: 'U',
        resourceBody: { name: 'other', key: 'U' },
      },
      { operationType: BulkOperationType.Read, id: 'item1', partitionKey: true },
      { operationType: BulkOperationType.Delete, id: 'item2', partitionKey: {} },
      {
        operationType: BulkOperationType.Replace,
        partitionKey: 5,
        id: 'item3',
        resourceBody: { id: 'item3', name: 'nice', key: 5 },
      },
      {
        operationType: BulkOperationType.Patch,
        partitionKey: 5,
        id: 'item4',
        resourceBody: { operations: [{ op: 'add', path: '/great', value: 'goodValue' }] },
      },
    ];

    const response = await container.items.bulk(operations);

    expect(response.map((result) => result.statusCode)).toEqual([201, 201, 200, 204, 200, 200]);
    expect((await container.item('item4', 5).read()).resource?.great).toBe('goodValue');
    expect((await container.item('item2', {}).read()).statusCode).toBe(StatusCodes.NotFound);
  });
});

describe('ChangeFeedIterator samples', () => {
  async function drain(iterator: ReturnType<Container['items']['getChangeFeedIterator']>) {
    const ids: string[] = [];
    for (;;) {
      const page = await iterator.readNext();
      if (page.statusCode === StatusCodes.NotModified) return { ids, continuation: page.continuationToken };
      ids.push(...page.result.map((document: { id: string }) => document.id));
    }
  }

  it('reads the entire container from the beginning, resumes from a continuation token, and one partition alone', async () => {
    const { database } = await client.databases.createIfNotExists({ id: 'samples' });
    const { container } = await database.containers.create({
      id: 'feed',
      partitionKey: { paths: ['/name'] },
    });
    for (const name of ['sample1', 'sample2', 'sample3'])
      await container.items.create({ id: `${name}-1`, name });

    const first = await drain(
      container.items.getChangeFeedIterator({ changeFeedStartFrom: ChangeFeedStartFrom.Beginning() }),
    );
    expect(first.ids).toEqual(['sample1-1', 'sample2-1', 'sample3-1']);

    await container.items.create({ id: 'sample1-2', name: 'sample1' });
    await container.items.create({ id: 'sample2-2', name: 'sample2' });
    const resumed = await drain(
      container.items.getChangeFeedIterator({
        changeFeedStartFrom: ChangeFeedStartFrom.Continuation(first.continuation),
      }),
    );
    expect(resumed.ids).toEqual(['sample1-2', 'sample2-2']);

    const onePartition = await drain(
      container.items.getChangeFeedIterator({
        changeFeedStartFrom: ChangeFeedStartFrom.Beginning('sample1'),
      }),
    );
    expect(onePartition.ids).toEqual(['sample1-1', 'sample1-2']);

    const fromNow = container.items.getChangeFeedIterator({ changeFeedStartFrom: ChangeFeedStartFrom.Now() });
    expect((await fromNow.readNext()).statusCode).toBe(StatusCodes.NotModified);
    await container.items.create({ id: 'sample3-2', name: 'sample3' });
    expect((await drain(fromNow)).ids).toEqual(['sample3-2']);
  });
});
