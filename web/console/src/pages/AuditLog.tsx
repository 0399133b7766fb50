import { useInfiniteQuery } from '@tanstack/react-query';
import { Button, Card, Flex, Form, Grid, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { type AuditEntry, type AuditFilters, listAudit } from '../api';
import { Page } from '../components/Page';
import { EmptyState, ErrorState, Loading } from '../components/PageState';
import { useT } from '../i18n';
import { chinaDate, formatTimeBare } from '../time';

const PAGE = 50;

/** The entry's detail on one line: `reason: "refund", amount: "9.90"`. */
function detailText(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ');
}

/**
 * The operator's audit log: every change made by hand (console or shell), newest first, filtered
 * by actor, action and subject (each exact), keyset pages ("Load more").
 */
export default function AuditLog() {
  const t = useT();
  const screens = Grid.useBreakpoint();
  const phone = screens.md === undefined ? window.innerWidth < 768 : !screens.md;
  const [form] = Form.useForm<AuditFilters>();
  const [filters, setFilters] = useState<AuditFilters>({});
  const query = useInfiniteQuery({
    queryKey: ['audit', filters],
    queryFn: ({ pageParam }) => listAudit(filters, pageParam, PAGE),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const rows = query.data?.pages.flatMap((p) => p.entries) ?? [];
  const actions = query.data?.pages[0]?.actions ?? [];
  const clean = (v: AuditFilters): AuditFilters => ({
    actor: v.actor?.trim() || undefined,
    action: v.action || undefined,
    subject: v.subject?.trim() || undefined,
  });

  return (
    <Page titleKey="nav.auditLog">
      <Card size="small" style={{ marginBottom: 16 }}>
        <Form<AuditFilters>
          form={form}
          layout="vertical"
          onFinish={(v) => setFilters(clean(v))}
          style={{
            display: 'grid',
            gridTemplateColumns: 'repeat(auto-fill, minmax(180px, 1fr))',
            columnGap: 12,
          }}
        >
          <Form.Item label={t('aud.actor')} name="actor" tooltip={t('aud.actorHint')}>
            <Input allowClear maxLength={300} placeholder="console:…" />
          </Form.Item>
          <Form.Item label={t('aud.action')} name="action">
            <Select
              allowClear
              placeholder={t('aud.action.any')}
              options={actions.map((a) => ({ value: a, label: a }))}
            />
          </Form.Item>
          <Form.Item label={t('aud.subject')} name="subject" tooltip={t('aud.subjectHint')}>
            <Input allowClear maxLength={100} placeholder="order:12" />
          </Form.Item>
          <Form.Item label=" " colon={false}>
            <Space>
              <Button type="primary" htmlType="submit">
                {t('aud.search')}
              </Button>
              <Button
                onClick={() => {
                  form.resetFields();
                  setFilters({});
                }}
              >
                {t('aud.reset')}
              </Button>
            </Space>
          </Form.Item>
        </Form>
      </Card>
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : rows.length === 0 ? (
        <Card>
          <EmptyState description={t('aud.empty')}>
            <Typography.Text type="secondary">{t('aud.emptyHint')}</Typography.Text>
          </EmptyState>
        </Card>
      ) : (
        <Card styles={{ body: { padding: 0 } }}>
          <Table<AuditEntry>
            rowKey="id"
            dataSource={rows}
            pagination={false}
            size={phone ? 'small' : 'middle'}
            scroll={{ x: 'max-content' }}
            columns={[
              {
                title: t('aud.time'),
                key: 'at',
                render: (_, e) => (
                  <span title={chinaDate(e.at)} style={{ whiteSpace: 'nowrap' }}>
                    {formatTimeBare(e.at)}
                  </span>
                ),
              },
              { title: t('aud.actor'), dataIndex: 'actor', key: 'actor' },
              { title: t('aud.action'), key: 'action', render: (_, e) => <Tag>{e.action}</Tag> },
              { title: t('aud.subject'), dataIndex: 'subject', key: 'subject' },
              {
                title: t('aud.detail'),
                key: 'detail',
                render: (_, e) => (
                  <Typography.Text
                    type="secondary"
                    style={{ fontSize: 12, maxWidth: 420, display: 'inline-block' }}
                    ellipsis={{ tooltip: detailText(e.detail) }}
                  >
                    {detailText(e.detail) || '—'}
                  </Typography.Text>
                ),
              },
            ]}
          />
          {query.hasNextPage && (
            <Flex justify="center" style={{ padding: 12 }}>
              <Button onClick={() => void query.fetchNextPage()} loading={query.isFetchingNextPage}>
                {t('aud.more')}
              </Button>
            </Flex>
          )}
        </Card>
      )}
    </Page>
  );
}
