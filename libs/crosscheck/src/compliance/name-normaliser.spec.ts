import { normaliseName, sameName } from './name-normaliser.js';

describe('normaliseName', () => {
  it('ignores case, accents, punctuation and legal forms', () => {
    expect(normaliseName('Comercialización Andina S.R.L.')).toBe('comercializacion andina');
    expect(normaliseName('MINERA DEL NORTE, S.A. DE C.V.')).toBe('minera del norte');
    expect(normaliseName('Minera del Norte SA de CV')).toBe('minera del norte');
    expect(normaliseName('Quimica Lima S.A.C.')).toBe('quimica lima');
    expect(normaliseName('Metales Andinos Ltda.')).toBe('metales andinos');
    expect(normaliseName('Hg Trading GmbH')).toBe('hg trading');
    expect(normaliseName('Oro Puro E.I.R.L.')).toBe('oro puro');
    expect(normaliseName('  Acme   Corp  ')).toBe('acme');
  });

  it('keeps a name that is nothing but a legal form', () => {
    expect(normaliseName('S.A.')).toBe('sa');
    expect(sameName('S.A.', 'Ltd')).toBe(false);
  });
});

describe('sameName', () => {
  it('matches the same company written two ways', () => {
    expect(sameName('Comercializadora Andina S.R.L.', 'COMERCIALIZADORA ANDINA SRL')).toBe(true);
    expect(sameName('Importadora Potosí Ltda', 'importadora potosi')).toBe(true);
  });

  it('tells different companies apart', () => {
    expect(sameName('Comercializadora Andina SRL', 'Comercializadora Andes SRL')).toBe(false);
    expect(sameName('Andina Minerals Inc', 'Andina Metals Inc')).toBe(false);
  });
});
