// A drift report as artifacts: the JSON result and the self-contained HTML page, content-addressed.
import type { ArtifactRef, ArtifactStore } from '../store/artifacts';
import type { DriftReport } from './drift';

export async function storeDriftReport(artifacts: ArtifactStore, report: DriftReport, html: string): Promise<{ json: ArtifactRef; html: ArtifactRef }> {
  const [jsonRef, htmlRef] = await Promise.all([
    artifacts.putContent('reports/drift', '.json', `${JSON.stringify(report, null, 1)}\n`, 'application/json'),
    artifacts.putContent('reports/drift', '.html', html, 'text/html; charset=utf-8'),
  ]);
  return { json: jsonRef, html: htmlRef };
}
