import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { App as AntApp, Button, Card, Flex, Popconfirm, Segmented, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { Link } from 'react-router';
import {
  errorMessage,
  listNotifications,
  type NotificationRow,
  type NotifyState,
  resendFailingNotifications,
  resendNotification,
} from '../api';
import { Page } from '../components/Page';
import { EmptyState, ErrorState, Loading } from '../components/PageState';
import { useT } from '../i18n';
import { formatTimeBare } from '../time';
import { MerchantPicker, useMerchantScope } from './Accounts';
import { NotifyTag } from './OrderDetail';

type Filter = 'all' | NotifyState;

function LastAnswer(props: { n: NotificationRow }) {
  const t = useT();
  const a = props.n.last_attempt;
  if (!a) return <Typography.Text type="secondary">{t('ntf.none')}</Typography.Text>;
  return (
    <Flex vertical style={{ maxWidth: 320 }}>
      <Typography.Text>
        {a.status === null ? t('ntf.noAnswer') : `HTTP ${a.status}`} · {a.duration_ms} ms
      </Typography.Text>
      {a.answer && (
        <Typography.Text code ellipsis={{ tooltip: a.answer }} style={{ maxWidth: 320 }}>
          {a.answer}
        </Typography.Text>
      )}
      {a.error && (
        <Typography.Text type="danger" style={{ overflowWrap: 'anywhere' }}>
          {a.error}
        </Typography.Text>
      )}
    </Flex>
  );
}

/**
 * Merchant notifications, failing and pending first, with the last answer and the next
 * attempt; resend one now, or every failing one of a merchant once its endpoint is fixed.
 */
export default function Notifications() {
  const t = useT();
  const qc = useQueryClient();
  const { message } = AntApp.useApp();
  const { operator, merchantId, scope } = useMerchantScope();
  const [filter, setFilter] = useState<Filter>('all');
  const state = filter === 'all' ? undefined : filter;
  const query = useInfiniteQuery({
    queryKey: ['notifications', scope, state],
    queryFn: ({ pageParam }) => listNotifications({ ...scope, state }, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const refresh = () => void qc.invalidateQueries({ queryKey: ['notifications'] });
  const resend = useMutation({
    mutationFn: (orderId: number) => resendNotification(orderId),
    onSuccess: (r) => {
      const text = t('ntf.resendDone', { order: r.order_id, state: t(`ntf.state.${r.state}`) });
      if (r.state === 'delivered') void message.success(text);
      else void message.warning(`${text} ${r.error}`);
      refresh();
    },
    onError: (err) => void message.error(errorMessage(err)),
  });
  const resendAll = useMutation({
    mutationFn: () => resendFailingNotifications(scope),
    onSuccess: (r) => {
      void message.success(t('ntf.resendAllDone', { n: r.requeued }));
      // The push network sends them in the background: look again in a moment.
      refresh();
      setTimeout(refresh, 2000);
    },
    onError: (err) => void message.error(errorMessage(err)),
  });
  const rows = query.data?.pages.flatMap((p) => p.notifications) ?? [];
  const canResendAll = !operator || merchantId !== undefined;

  return (
    <Page titleKey="nav.notifications" extra={operator && <MerchantPicker />}>
      <Flex justify="space-between" wrap gap={8} style={{ marginBottom: 12 }}>
        <Segmented<Filter>
          aria-label={t('ntf.state')}
          value={filter}
          onChange={setFilter}
          options={(['all', 'failed', 'pending', 'delivered'] as const).map((f) => ({
            value: f,
            label: t(`ntf.state.${f}`),
          }))}
        />
        {canResendAll ? (
          <Popconfirm
            title={t('ntf.resendAllConfirm')}
            okText={t('ord.action.confirm')}
            cancelText={t('ord.action.cancel')}
            onConfirm={() => resendAll.mutate()}
          >
            <Button type="primary" loading={resendAll.isPending}>
              {t('ntf.resendAll')}
            </Button>
          </Popconfirm>
        ) : (
          <Typography.Text type="secondary">{t('ntf.pickMerchantForAll')}</Typography.Text>
        )}
      </Flex>
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : rows.length === 0 ? (
        <Card>
          <EmptyState description={t('ntf.empty')} />
        </Card>
      ) : (
        <Card styles={{ body: { padding: 0 } }}>
          <Table<NotificationRow>
            rowKey="id"
            dataSource={rows}
            pagination={false}
            scroll={{ x: 'max-content' }}
            columns={[
              {
                title: t('ntf.order'),
                key: 'order',
                render: (_, n) => (
                  <Flex vertical>
                    <Link to={`/orders/${n.order_id}`}>{n.order_id}</Link>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {n.out_order_id}
                    </Typography.Text>
                  </Flex>
                ),
              },
              { title: t('ntf.state'), key: 'state', render: (_, n) => <NotifyTag state={n.state} /> },
              { title: t('ntf.attempts'), dataIndex: 'attempts', key: 'attempts', align: 'right' },
              { title: t('ntf.lastAnswer'), key: 'answer', render: (_, n) => <LastAnswer n={n} /> },
              {
                title: t('ntf.next'),
                key: 'next',
                render: (_, n) => (n.next_attempt_at === null ? '—' : formatTimeBare(n.next_attempt_at)),
              },
              {
                title: t('ntf.url'),
                key: 'url',
                responsive: ['lg'],
                render: (_, n) => (
                  <Typography.Text ellipsis={{ tooltip: n.url }} style={{ maxWidth: 240 }}>
                    {n.method} {n.url}
                  </Typography.Text>
                ),
              },
              {
                title: t('ntf.created'),
                key: 'created',
                responsive: ['md'],
                render: (_, n) => formatTimeBare(n.created_at),
              },
              {
                title: t('ord.detail.actions'),
                key: 'resend',
                render: (_, n) => (
                  <Button
                    size="small"
                    loading={resend.isPending && resend.variables === n.order_id}
                    onClick={() => resend.mutate(n.order_id)}
                  >
                    {t('ntf.resend')}
                  </Button>
                ),
              },
            ]}
          />
          {query.hasNextPage && (
            <Space style={{ padding: 12, justifyContent: 'center', width: '100%' }}>
              <Button loading={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
                {t('ord.more')}
              </Button>
            </Space>
          )}
        </Card>
      )}
    </Page>
  );
}
