import type { Types } from '@a2ui/lit/v0_8';

/**
 * The renderer reads class maps for every component from its theme context and fails without
 * one. Ours adds no classes: the components' own structural styles and the page's stylesheet
 * are the whole look, so nothing here needs `unsafe-inline` styles.
 */
export function plainTheme(): Types.Theme {
  const none = (): Record<string, boolean> => ({});
  const labelled = () => ({ container: none(), element: none(), label: none() });
  return {
    components: {
      AudioPlayer: none(),
      Button: none(),
      Card: none(),
      Column: none(),
      CheckBox: labelled(),
      DateTimeInput: labelled(),
      Divider: none(),
      Image: { all: none(), icon: none(), avatar: none(), smallFeature: none(), mediumFeature: none(), largeFeature: none(), header: none() },
      Icon: none(),
      List: none(),
      Modal: { backdrop: none(), element: none() },
      MultipleChoice: labelled(),
      Row: none(),
      Slider: labelled(),
      Tabs: { container: none(), element: none(), controls: { all: none(), selected: none() } },
      Text: { all: none(), h1: none(), h2: none(), h3: none(), h4: none(), h5: none(), caption: none(), body: none() },
      TextField: labelled(),
      Video: none(),
    },
    elements: {
      a: none(),
      audio: none(),
      body: none(),
      button: none(),
      h1: none(),
      h2: none(),
      h3: none(),
      h4: none(),
      h5: none(),
      iframe: none(),
      input: none(),
      p: none(),
      pre: none(),
      textarea: none(),
      video: none(),
    },
    markdown: { p: [], h1: [], h2: [], h3: [], h4: [], h5: [], ul: [], ol: [], li: [], a: [], strong: [], em: [] },
  };
}
